/**
 * Bounded polls for tests: look again every POLL_MS instead of sleeping a fixed time, and fail
 * with the last error (assertions inside fn say what was still wrong) once the deadline passes.
 */

/** POLL_MS: how often a poll looks again. */
const POLL_MS = 50;

/** eventually polls fn until it returns without throwing, or rethrows its last error once
 *  timeoutMs has passed. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadlineMs = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadlineMs) throw err;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
