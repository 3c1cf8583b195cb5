/**
 * Who is calling the component API. Components authenticate with the client certificate the
 * cluster CA issued them (CN = user, O = groups), exactly as kube-apiserver reads certificates
 * on its REST face (src/apiserver/auth/authenticate.ts): the kubelet of node w1 is
 * CN=system:node:w1,O=system:nodes, the scheduler CN=system:kube-scheduler. The gRPC server runs
 * with mTLS and demands a certificate, so an unauthenticated peer never gets a call through;
 * with insecure credentials (an explicit debugging flag) every caller is the cluster admin, as
 * on the insecure REST face. Tokens are a REST matter (kubectl); components never use them.
 */
import type { PeerCertificate } from 'node:tls';
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
  const cert = call.getAuthContext().sslPeerCertificate;
  return cert ? userFromCertificate(cert) : undefined;
}
