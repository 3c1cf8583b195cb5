/**
 * Wall time and unique ids, the two things API objects need that the monotonic Clock cannot
 * give: creationTimestamp/deletionTimestamp are calendar times, and uids must be unique across
 * processes and restarts. Kept here so the rest of the code never reads Date or crypto directly
 * and tests can pass their own.
 */
import { randomUUID } from 'node:crypto';

/** systemWallMs returns milliseconds since the Unix epoch. */
export function systemWallMs(): number {
  return Date.now();
}

/** newUid returns a random RFC 4122 version-4 uid, as Kubernetes assigns. */
export function newUid(): string {
  return randomUUID();
}
