/**
 * A hash of a container's spec, stamped on each container the worker creates (annotation
 * io.kubernetes.container.hash, as upstream does) so a later sync can tell the API changed the
 * container (an image update) and restart it. FNV-1a over canonical JSON: stable across
 * processes and restarts, which a kubelet restart needs to not restart every container.
 */
import type { Container } from '../../api/core/v1/pod-types.js';
import { BoundedMemo } from '../../base/bounded-memo.js';

/** FNV-1a's offset basis and prime (32 bits). */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** feed hashes text's UTF-16 code units into h. */
function feed(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h;
}

/**
 * hashCanonical hashes value's canonical JSON (object keys sorted, undefined members left out)
 * into h without building that text: the hash is the same as over the string, but a burst's
 * containers (every field defaulted) no longer allocate each level's entries, pieces and joins.
 */
function hashCanonical(h: number, value: unknown): number {
  if (Array.isArray(value)) {
    h = feed(h, '[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) h = feed(h, ',');
      h = hashCanonical(h, value[i]);
    }
    return feed(h, ']');
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    // Default sort: UTF-16 code unit order, as the string version's < comparison.
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    h = feed(h, '{');
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (i > 0) h = feed(h, ',');
      h = feed(feed(h, JSON.stringify(k)), ':');
      h = hashCanonical(h, o[k]);
    }
    return feed(h, '}');
  }
  return feed(h, JSON.stringify(value) ?? 'null');
}

/** Hashes remembered at most (see containerSpecHash); the memo starts over when full. */
export const SPEC_HASH_MEMO_MAX = 512;

/** Hashes by the container's JSON text (JSON.stringify: key order as given). */
const memo = new BoundedMemo<string, string>(SPEC_HASH_MEMO_MAX);

/**
 * containerSpecHash is an 8-hex-digit FNV-1a hash of the container's canonical JSON.
 * Remembered by the container's JSON text: pods made from one template (a burst, a
 * ReplicaSet's replicas) carry the same container, and JSON.stringify (native) costs a
 * fraction of the hash's walk, which runs key sorts and a loop per character in JavaScript (a
 * kubelet runs mostly unoptimized code: with its node arguments, 15 → 2 µs per call on a burst
 * pod's container, 300 calls). Equal texts are equal values with keys in the same order, so
 * equal hashes.
 */
export function containerSpecHash(container: Container): string {
  const text = JSON.stringify(container);
  return memo.lookup(text) ??
    memo.remember(text, hashCanonical(FNV_OFFSET, container).toString(16).padStart(8, '0'));
}
