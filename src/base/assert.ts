/**
 * Assertions that stay on in production (TigerBeetle's rule): a broken invariant is a programmer
 * error and crashes the process, which the supervisor restarts. Operating errors (timeouts, not
 * leader) are typed values instead, never assertions.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** assert throws AssertionError when cond is false. */
export function assert(cond: unknown, message = 'assertion failed'): asserts cond {
  if (!cond) throw new AssertionError(message);
}

/** unreachable marks a branch the types say cannot run. */
export function unreachable(what: never | string): never {
  throw new AssertionError(`unreachable: ${String(what)}`);
}
