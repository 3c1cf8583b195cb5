/**
 * Authentication, as kube-apiserver does it for the two methods k8ts offers: a client
 * certificate signed by the cluster CA (CN = user, O = groups) or a bearer token from the static
 * token file (kube-apiserver's --token-auth-file format: token,user,uid,"group1,group2").
 * Everything else is anonymous, and anonymous requests get 401 but for the public health and
 * version paths (public-info.ts): authorization (RBAC) arrives in a later issue; until then any
 * authenticated user may do everything.
 *
 * The TLS server asks for a client certificate without requiring one (kubectl with a token sends
 * none), so the certificate is checked here: socket.authorized says the CA verified it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { UserInfo } from '../registry/types.js';

/** INSECURE_USER is every caller of a server running without TLS (explicit debugging mode). */
export const INSECURE_USER: UserInfo = {
  name: 'system:admin',
  groups: ['system:masters', 'system:authenticated'],
};

/** TokenEntry is one line of the token file. */
export interface TokenEntry {
  token: string;
  user: UserInfo;
}

/** parseTokenFile reads the static token CSV; a bad line names its number. */
export function parseTokenFile(text: string, source: string): TokenEntry[] {
  const out: TokenEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = splitCsv(line);
    const [token, name, , groups] = fields;
    if (!token || !name || fields.length < 3) {
      throw new Error(`${source}:${i + 1}: expected token,user,uid[,"group1,group2"]`);
    }
    out.push({ token, user: { name, groups: groups ? groups.split(',').filter(Boolean) : [] } });
  });
  return out;
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/** Authenticator turns a request into a user, or undefined (401). */
export class Authenticator {
  constructor(
    private readonly tokens: TokenEntry[],
    /** insecure: plain-http debugging mode where every caller is the cluster admin. */
    private readonly insecure = false,
  ) {}

  authenticate(req: IncomingMessage): UserInfo | undefined {
    if (this.insecure) return { name: INSECURE_USER.name, groups: [...INSECURE_USER.groups] };
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      return m?.[1] ? this.byToken(m[1]) : undefined;
    }
    return fromCertificate(req.socket as TLSSocket);
  }

  private byToken(token: string): UserInfo | undefined {
    const given = Buffer.from(token);
    for (const e of this.tokens) {
      const want = Buffer.from(e.token);
      if (want.length === given.length && timingSafeEqual(want, given)) {
        return { name: e.user.name, groups: [...e.user.groups, 'system:authenticated'] };
      }
    }
    return undefined;
  }
}

/**
 * A connection's certificate never changes, so its identity is read once per socket (kubectl
 * and informers keep connections alive; parsing the certificate per request cost ~3% of an
 * API server's CPU in the benchmark profile).
 */
const identities = new WeakMap<TLSSocket, UserInfo | null>();

function fromCertificate(socket: TLSSocket): UserInfo | undefined {
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
  let user = identities.get(socket);
  if (user === undefined) {
    user = userFromCertificate(socket.getPeerCertificate()) ?? null;
    identities.set(socket, user);
  }
  return user === null ? undefined : { name: user.name, groups: [...user.groups] };
}

/**
 * userFromCertificate reads a CA-verified certificate as kube-apiserver does: CN = user, each O =
 * a group. Both API faces (REST and component gRPC) use it.
 */
export function userFromCertificate(cert: PeerCertificate): UserInfo | undefined {
  type Subject = Record<string, string | string[] | undefined> | undefined;
  const subject = cert.subject as unknown as Subject;
  const cn = subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (!name) return undefined;
  const o = subject?.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { name, groups: [...groups, 'system:authenticated'] };
}
