/**
 * A starting kubelet waits for its container runtime's CRI socket to accept connections before
 * it runs its pod sources, as upstream's kubelet waits for the runtime to be ready. Without the
 * wait, a kubelet that loads faster than its runtime (both are spawned together by `k8ts up`)
 * syncs its static pods against a socket that is not there yet: each sync fails and the pod
 * worker backs off — a store member or API server started ~10 s late (traced under load).
 * The wait is bounded: a runtime that stays down is the kubelet's usual "runtime not answering"
 * case (the node reports NotReady), not a hang.
 */
import { accepts } from '../../base/connect-probe.js';
import { waitUntil, type WaitOptions } from '../../base/wait-until.js';

/** RuntimeWaitOptions: how long and how often to try (a refused unix connect costs
 *  microseconds, so the pause can be short). */
export type RuntimeWaitOptions = WaitOptions;

/** RUNTIME_WAIT: up to 10 s, every 20 ms. */
export const RUNTIME_WAIT = { maxMs: 10_000, pollMs: 20 } as const;

/** socketAccepts: whether a unix socket (a path, or unix:<path>) accepts a connection now. */
export function socketAccepts(socket: string): Promise<boolean> {
  return accepts({ path: socket.replace(/^unix:(\/\/)?/, '') });
}

/** waitForRuntimeSocket: waitUntil the CRI socket accepts connections. */
export function waitForRuntimeSocket(socket: string,
  o: RuntimeWaitOptions): Promise<boolean> {
  return waitUntil(() => socketAccepts(socket), o);
}
