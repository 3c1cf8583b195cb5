/**
 * Who is calling the component API. Components authenticate with the client certificate the
 * cluster CA issued them (CN = user, O = groups), exactly as kube-apiserver reads certificates
 * on its REST face (src/apiserver/auth/authenticate.ts): the kubelet of node w1 is
 * CN=system:node:w1,O=system:nodes, the scheduler CN=system:kube-scheduler. The gRPC server runs
 * with mTLS and demands a certificate, so an unauthenticated peer never gets a call through;
 * with insecure credentials (an explicit debugging flag) every caller is the cluster admin, as
 * on the insecure REST face. Tokens are a REST matter (kubectl); components never use them.
 */
import { TLSSocket, type PeerCertificate } from 'node:tls';
import { INSECURE_USER, userFromCertificate } from '../auth/authenticate.js';
import type { UserInfo } from '../registry/types.js';

export { INSECURE_USER, userFromCertificate };

/** AuthSource is the part of a grpc-js server call authentication reads. */
export interface AuthSource {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
}

/** callerOf returns the caller, or undefined when a secure server sees no verified certificate
 *  (grpc-js reports a certificate only when the TLS layer verified it against the CA). */
export function callerOf(call: AuthSource, insecure: boolean): UserInfo | undefined {
  if (insecure) return { name: INSECURE_USER.name, groups: [...INSECURE_USER.groups] };
  const socket = tlsSocketOf(call);
  if (socket === undefined) return fromAuthContext(call);
  let user = identities.get(socket);
  if (user === undefined) {
    user = fromAuthContext(call) ?? null;
    identities.set(socket, user);
  }
  return user === null ? undefined : { name: user.name, groups: [...user.groups] };
}

function fromAuthContext(call: AuthSource): UserInfo | undefined {
  const cert = call.getAuthContext().sslPeerCertificate;
  return cert ? userFromCertificate(cert) : undefined;
}

/**
 * A connection's certificate never changes, so its identity is read once per TLS socket, as the
 * REST face does: grpc-js's getAuthContext() parses the peer certificate (subject, issuer,
 * three fingerprints) again on every call, which a component's busy connection pays per write.
 */
const identities = new WeakMap<TLSSocket, UserInfo | null>();

/** How many wrapper layers tlsSocketOf looks through (a call, its interceptors, the stream). */
const MAX_CALL_LAYERS = 8;

/**
 * tlsSocketOf finds the TLS socket under a grpc-js server call. grpc-js does not expose it, so
 * this follows its internal chain (call → interceptors → http2 stream → session → socket) and
 * gives up — undefined, and then the caller reads the certificate per call as before — when the
 * chain is not there (another grpc-js version, an insecure server).
 */
function tlsSocketOf(call: object): TLSSocket | undefined {
  type Session = { socket?: unknown };
  type Layer = { call?: unknown; nextCall?: unknown; stream?: { session?: Session } };
  let layer = call as Layer | undefined;
  for (let i = 0; i < MAX_CALL_LAYERS && layer !== undefined && layer !== null; i++) {
    const socket = layer.stream?.session?.socket;
    if (socket !== undefined) return socket instanceof TLSSocket ? socket : undefined;
    layer = (layer.call ?? layer.nextCall) as Layer | undefined;
  }
  return undefined;
}
