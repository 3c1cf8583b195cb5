/**
 * serveCri: serves any in-process CriRuntime as the CRI's two gRPC services on a unix socket, the
 * way containerd serves /run/containerd/containerd.sock. The kubelet always talks to its runtime
 * through such a socket (components talk only over gRPC), so the in-house runtimes and containerd
 * are interchangeable behind the same client, and `crictl --runtime-endpoint unix://...` works.
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  Metadata,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type StatusObject,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { assert } from '../base/assert.js';
import { systemClock, type Clock } from '../base/clock.js';
import { ImageServiceService, RuntimeServiceService } from '../gen/cri/runtime/v1/api.js';
import { CriError } from '../kubelet/cri/errors.js';
import {
  CRI_IMAGE_METHODS,
  CRI_RUNTIME_METHODS,
  type CriRuntime,
} from '../kubelet/cri/types.js';
import { bind, newServer, shutdown } from '../rpc/server.js';

/** How long close() lets calls in flight finish before cutting them (a StopContainer with a
 *  grace period may be running; the kubelet retries whatever was cut). */
export const CRI_SERVER_CLOSE_GRACE_MS = 2_000;

/** Options of serveCri; everything has a production default. */
export interface ServeCriOptions {
  clock?: Clock;
  closeGraceMs?: number;
}

/** A serving CRI endpoint. */
export interface CriServerHandle {
  /** Stops serving (in-flight calls get closeGraceMs) and removes the socket file. */
  close(): Promise<void>;
}

/** serveCri binds both CRI services of runtime on unix://socketPath. A stale socket file (from a
 *  crashed previous run) is replaced, as containerd does; the parent directory is created. */
export async function serveCri(
  runtime: CriRuntime,
  socketPath: string,
  o: ServeCriOptions = {},
): Promise<CriServerHandle> {
  assert(socketPath.startsWith('/'), `serveCri: socket path must be absolute, got ${socketPath}`);
  const clock = o.clock ?? systemClock;
  const server = newServer('local-socket');
  server.addService(RuntimeServiceService, handlers(runtime, CRI_RUNTIME_METHODS));
  server.addService(ImageServiceService, handlers(runtime, CRI_IMAGE_METHODS));
  await mkdir(dirname(socketPath), { recursive: true });
  await rm(socketPath, { force: true });
  await bind(server, `unix://${socketPath}`, ServerCredentials.createInsecure());
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        await shutdown(server, o.closeGraceMs ?? CRI_SERVER_CLOSE_GRACE_MS, (fn, ms) =>
          clock.setTimeout(fn, ms),
        );
        await rm(socketPath, { force: true });
      })();
      return closing;
    },
  };
}

type AnyMethod = (req: unknown) => Promise<unknown>;

/** handlers adapts the runtime's promise methods to grpc-js unary handlers. */
function handlers(
  runtime: CriRuntime,
  names: readonly (keyof CriRuntime)[],
): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const name of names) {
    const method = runtime[name] as unknown as AnyMethod;
    assert(typeof method === 'function', `serveCri: runtime does not implement ${name}`);
    impl[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      let result: Promise<unknown>;
      try {
        result = method.call(runtime, call.request);
      } catch (err) {
        result = Promise.reject(err);
      }
      result.then(
        (res) => callback(null, res),
        (err: unknown) => callback(toCriStatus(err)),
      );
    };
  }
  return impl;
}

/** toCriStatus maps a runtime's failure to the gRPC status the kubelet sees: a CriError keeps
 *  its code; anything else is UNKNOWN with its message, as a Go runtime's plain error would be. */
export function toCriStatus(err: unknown): Partial<StatusObject> {
  if (err instanceof CriError) {
    return { code: err.code, details: err.message, metadata: new Metadata() };
  }
  const details = err instanceof Error ? err.message : String(err);
  return { code: status.UNKNOWN, details, metadata: new Metadata() };
}
