/**
 * startProcessRuntime: the process runtime served as a CRI endpoint on a unix socket, the way
 * the kubelet (and crictl) reach every runtime, with the CRI streaming server behind its
 * Exec/Attach/PortForward URLs. The kubelet and `k8ts up` start it for nodes whose runtime is
 * "process".
 */
import type { Clock } from '../../base/clock.js';
import { serveCri } from '../cri-server.js';
import { StreamingServer } from '../streaming/server.js';
import { ProcessRuntime } from './runtime.js';
import { ProcessStreaming } from './streaming.js';

/** What startProcessRuntime needs; see ProcessRuntimeOptions for the fields. */
export interface StartProcessRuntimeOptions {
  stateDir: string;
  podCidr: string;
  socketPath: string;
  clock: Clock;
  wallMs?: () => number;
  /** Where the streaming server listens (the kubelet proxies to it); default 127.0.0.1. */
  streamingHost?: string;
  /** When the container spawner's helper starts (default 5 s; tests: 0). */
  spawnerDelayMs?: number;
}

/** A served process runtime. close() stops serving and lets go of the containers (they keep
 *  running; a runtime started again on the same stateDir adopts them). */
export interface ProcessRuntimeHandle {
  runtime: ProcessRuntime;
  /** The streaming server's base URL (http://host:port). */
  streamingUrl: string;
  close(): Promise<void>;
}

/** startProcessRuntime opens the runtime on stateDir and serves it on socketPath. */
export async function startProcessRuntime(
  o: StartProcessRuntimeOptions,
): Promise<ProcessRuntimeHandle> {
  const runtime = await ProcessRuntime.open({
    stateDir: o.stateDir, podCidr: o.podCidr, clock: o.clock, wallMs: o.wallMs,
    ...(o.spawnerDelayMs !== undefined ? { spawnerDelayMs: o.spawnerDelayMs } : {}),
  });
  const streaming = new StreamingServer({
    host: o.streamingHost ?? '127.0.0.1', runtime: new ProcessStreaming(runtime), clock: o.clock,
  });
  let streamingUrl: string;
  try {
    streamingUrl = await streaming.start();
  } catch (err) {
    await runtime.close();
    throw err;
  }
  runtime.streaming = streaming;
  const server = await serveCri(runtime, o.socketPath, { clock: o.clock })
    .catch(async (err: unknown) => {
      await streaming.close();
      await runtime.close();
      throw err;
    });
  let closing: Promise<void> | undefined;
  return {
    runtime, streamingUrl,
    close() {
      closing ??= (async () => {
        await server.close();
        await streaming.close();
        await runtime.close();
      })();
      return closing;
    },
  };
}
