/**
 * accepts: whether something listens at an address now — a plain connect, closed at once before
 * any byte is sent (no TLS, no request: microseconds when refused). A probe for waitUntil.
 */
import { connect, type NetConnectOpts } from 'node:net';

/** accepts: whether a connection to `to` (a unix path or a TCP host and port) is accepted now. */
export function accepts(to: NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(to);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
