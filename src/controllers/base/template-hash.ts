/**
 * A short, stable hash of a pod template (upstream's controller.ComputeHash): written as a label
 * on each pod (DaemonSet's controller-revision-hash, Deployment's pod-template-hash) so a
 * controller can tell pods of the current template from older ones without storing revisions.
 * Stable means: the same JSON value gives the same hash whatever its key order, in every process.
 * Pure (FNV-1a over canonical JSON, rendered in an alphabet without vowels so a hash never spells
 * a word and never looks like a number).
 */

/** HASH_ALPHABET: upstream's "safe" characters (no vowels, no 0/1/3 lookalikes). */
const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** canonicalJson: JSON with object keys sorted, undefined members dropped (as JSON does). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** fnv1a32 hashes a string's UTF-16 code units (32-bit FNV-1a). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** encodeHash renders a 32-bit value in HASH_ALPHABET (at most 7 characters). */
export function encodeHash(value: number): string {
  let v = value >>> 0;
  let out = '';
  do {
    out = HASH_ALPHABET[v % HASH_ALPHABET.length] + out;
    v = Math.floor(v / HASH_ALPHABET.length);
  } while (v > 0);
  return out;
}

/**
 * templateHash: the label value for a template; collisionCount (status.collisionCount) is mixed
 * in so a controller that finds a collision can move to a fresh hash, as upstream does.
 */
export function templateHash(template: unknown, collisionCount?: number): string {
  const salt = collisionCount === undefined ? '' : `#${collisionCount}`;
  return encodeHash(fnv1a32(canonicalJson(template ?? null) + salt));
}
