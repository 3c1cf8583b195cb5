/**
 * smallBigint returns a shared bigint for small non-negative integers: versions are mostly
 * small, and one shared bigint per value saves a heap object (~24 B) per stored version.
 */
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

export function smallBigint(n: number): bigint {
  return SMALL_BIGINTS[n] ?? BigInt(n);
}
