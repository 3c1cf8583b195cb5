/**
 * awaitConnected: wait until a client's channel is READY, failing fast when it cannot connect.
 *
 * grpc-js's own Client.waitForReady keeps waiting through TRANSIENT_FAILURE until its deadline,
 * which is right for one server but wrong for failover: with several API servers a refused
 * connection should move the caller to the next one at once (the caller's retry rounds, with
 * backoff, give a restarting server its next chance). A call that was never started
 * because its channel did not connect provably never reached a server, which is what makes a
 * write safe to send elsewhere.
 */
import { connectivityState, type Client } from '@grpc/grpc-js';
import { deadlineIn } from './defaults.js';
import { UnavailableRpcError } from './errors.js';

/** awaitConnected resolves once client's channel is READY; rejects with UnavailableRpcError
 *  when a connection attempt fails (TRANSIENT_FAILURE), the channel is shut down, or timeoutMs
 *  passes. */
export function awaitConnected(client: Client, timeoutMs: number): Promise<void> {
  const channel = client.getChannel();
  const deadline = deadlineIn(timeoutMs);
  return new Promise((resolve, reject) => {
    const check = (err?: Error): void => {
      if (err) {
        reject(new UnavailableRpcError(`not connected within ${timeoutMs} ms`, { cause: err }));
        return;
      }
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.READY) return resolve();
      // TRANSIENT_FAILURE: the last attempt failed and the channel is backing off (pick-first
      // stays there while it retries), so waiting would only burn the caller's deadline.
      if (state === connectivityState.SHUTDOWN || state === connectivityState.TRANSIENT_FAILURE) {
        reject(new UnavailableRpcError(`cannot connect to ${channel.getTarget()}`));
        return;
      }
      channel.watchConnectivityState(state, deadline, check);
    };
    check();
  });
}
