/**
 * startProcessRuntime: the process runtime served as a CRI endpoint on a unix socket, the way
 * the kubelet (and crictl) reach every runtime. The kubelet and `k8ts up` start it for nodes
 * whose runtime is "process".
 */
import type { Clock } from '../../base/clock.js';
import { serveCri } from '../cri-server.js';
import { ProcessRuntime } from './runtime.js';

/** What startProcessRuntime needs; see ProcessRuntimeOptions for the fields. */
export interface StartProcessRuntimeOptions {
  stateDir: string;
  podCidr: string;
  socketPath: string;
  clock: Clock;
  wallMs?: () => number;
}

/** A served process runtime. close() stops serving and lets go of the containers (they keep
 *  running; a runtime started again on the same stateDir adopts them). */
export interface ProcessRuntimeHandle {
  runtime: ProcessRuntime;
  close(): Promise<void>;
}

/** startProcessRuntime opens the runtime on stateDir and serves it on socketPath. */
export async function startProcessRuntime(o: StartProcessRuntimeOptions): Promise<ProcessRuntimeHandle> {
  const runtime = await ProcessRuntime.open({
    stateDir: o.stateDir, podCidr: o.podCidr, clock: o.clock, wallMs: o.wallMs,
  });
  const server = await serveCri(runtime, o.socketPath, { clock: o.clock });
  let closing: Promise<void> | undefined;
  return {
    runtime,
    close() {
      closing ??= (async () => {
        await server.close();
        await runtime.close();
      })();
      return closing;
    },
  };
}
