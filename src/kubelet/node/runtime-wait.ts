/**
 * A starting kubelet waits for its container runtime's CRI socket to accept connections before
 * it runs its pod sources, as upstream's kubelet waits for the runtime to be ready. Without the
 * wait, a kubelet that loads faster than its runtime (both are spawned together by `k8ts up`)
 * syncs its static pods against a socket that is not there yet: each sync fails and the pod
 * worker backs off — a store member or API server started ~10 s late (traced under load).
 * The wait is bounded: a runtime that stays down is the kubelet's usual "runtime not answering"
 * case (the node reports NotReady), not a hang.
 */
import { connect, type NetConnectOpts } from 'node:net';
import type { Clock } from '../../base/clock.js';

/** RuntimeWaitOptions: how long and how often to try. */
export interface RuntimeWaitOptions {
  clock: Clock;
  /** Give up (and start anyway) after this long. */
  maxMs: number;
  /** Pause between attempts; a refused unix connect costs microseconds. */
  pollMs: number;
}

/** RUNTIME_WAIT: up to 10 s, every 20 ms. */
export const RUNTIME_WAIT = { maxMs: 10_000, pollMs: 20 } as const;

/**
 * waitUntil calls probe until it resolves true or maxMs has passed (then false). Pure of I/O:
 * the probe and the clock are given.
 */
export async function waitUntil(probe: () => Promise<boolean>,
  o: RuntimeWaitOptions): Promise<boolean> {
  const startMs = o.clock.nowMs();
  for (;;) {
    if (await probe()) return true;
    if (o.clock.nowMs() - startMs >= o.maxMs) return false;
    await new Promise<void>((resolve) => o.clock.setTimeout(resolve, o.pollMs));
  }
}

/** socketAccepts: whether a unix socket (a path, or unix:<path>) accepts a connection now. */
export function socketAccepts(socket: string): Promise<boolean> {
  return accepts({ path: socket.replace(/^unix:(\/\/)?/, '') });
}

/** accepts: whether a connection to `to` (a unix path or a TCP host and port) is accepted now;
 *  it is closed at once, before any byte is sent. */
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

/** waitForRuntimeSocket: waitUntil the CRI socket accepts connections. */
export function waitForRuntimeSocket(socket: string,
  o: RuntimeWaitOptions): Promise<boolean> {
  return waitUntil(() => socketAccepts(socket), o);
}
