/**
 * List continue tokens in kube-apiserver's format (apiserver/pkg/storage/continue.go), so a token
 * from a k8ts API server means the same on any other: base64url (no padding) of
 * {"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key after the list prefix>"}. The revision pins
 * every page to the first page's snapshot; rv -1 (handed out after compaction) means "latest".
 * Pure functions.
 */
import { badRequest } from '../../api/errors.js';

const TOKEN_VERSION = 'meta.k8s.io/v1';

/** ContinuePoint is where the next page starts and at which revision it is read. */
export interface ContinuePoint {
  /** Full store key to continue from (inclusive). */
  key: string;
  /** Revision of the whole list; -1 = latest (an inconsistent continuation). */
  revision: number;
}

/** encodeContinue makes the token for continuing at `key` (full key under `prefix`). */
export function encodeContinue(key: string, prefix: string, revision: number): string {
  if (!key.startsWith(prefix)) throw new Error(`continue key ${key} is not under ${prefix}`);
  const body = { v: TOKEN_VERSION, rv: revision, start: key.slice(prefix.length) };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** decodeContinue reads a token for a list of `prefix`; BadRequest when it is not valid. */
export function decodeContinue(token: string, prefix: string): ContinuePoint {
  const invalid = (why: string) => badRequest(`invalid continue token: ${why}`);
  let parsed: unknown;
  try {
    const text = Buffer.from(token.replace(/=+$/, ''), 'base64url').toString('utf8');
    parsed = JSON.parse(text);
  } catch {
    throw invalid('continue key is not valid: illegal base64 data');
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (typeof t !== 'object' || t === null || t.v !== TOKEN_VERSION) {
    throw invalid('continue key is not valid: server does not recognize this encoding');
  }
  if (typeof t.rv !== 'number' || !Number.isSafeInteger(t.rv) || t.rv === 0 || t.rv < -1) {
    throw invalid(
      'continue key is not valid: incorrect encoded start resourceVersion ' +
        `(version ${TOKEN_VERSION})`,
    );
  }
  if (typeof t.start !== 'string' || t.start === '') {
    throw invalid('continue key is not valid: encoded start key empty');
  }
  // The start key must stay inside the list's prefix: no absolute paths, no "..".
  const segments = t.start.split('/');
  if (t.start.startsWith('/') || segments.some((s) => s === '..' || s === '.')) {
    throw invalid('continue key is not valid: key must not escape the list prefix');
  }
  return { key: prefix + t.start, revision: t.rv };
}
