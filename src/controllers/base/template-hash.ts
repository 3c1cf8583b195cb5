/**
 * The pod-template hash (upstream's controller.ComputeHash): a short, stable value for one pod
 * template, written as the Deployment's pod-template-hash (ReplicaSet name suffix and label) and
 * the DaemonSet's controller-revision-hash label, so a controller tells pods of the current
 * template from older ones without storing revisions, finds "its" ReplicaSet again after a
 * restart, and two controllers racing to create one collide on the name instead of making two.
 *
 * Upstream hashes the Go struct's printed form with 32-bit FNV-1a, mixes in collisionCount (bumped
 * when the name is taken by an object with another template), prints the sum in decimal and maps
 * each digit into an alphabet without vowels (rand.SafeEncodeString) so no words appear. k8ts
 * hashes the template's canonical JSON (sorted keys) instead of Go's printing: the same algorithm
 * and shape, stable in every process whatever the key order, but not byte-identical to upstream's.
 * Pure.
 */

/** SAFE_ALPHABET: rand.SafeEncodeString's characters (no vowels, no 0/1/3 lookalikes). */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** fnv32a folds bytes into a running 32-bit FNV-1a hash. */
export function fnv32a(bytes: Uint8Array, hash = FNV32_OFFSET): number {
  let h = hash >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV32_PRIME) >>> 0;
  }
  return h;
}

/** canonicalJson renders v with object keys sorted, undefined members dropped (as JSON does),
 *  so equal values give equal text: also the controllers' deep-equality test of API objects. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x)).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}

/** safeEncode maps each character of s into SAFE_ALPHABET by its code (SafeEncodeString). */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/**
 * templateHash is the hash of template (with collisionCount mixed in when set): FNV-1a over the
 * canonical JSON, then the collision count as 8 little-endian bytes (a uint32 in the first four,
 * as upstream writes it), the decimal sum encoded with safeEncode (at most 10 characters).
 */
export function templateHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncode(String(h));
}
