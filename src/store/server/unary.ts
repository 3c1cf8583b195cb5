/**
 * serve adapts a promise-returning handler to grpc-js's unary callback, mapping failures to
 * etcd's statuses. Handlers stay plain async functions that read like the etcd docs.
 */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { stageTrace, wallMs, type CallStamps } from '../../rpc/stage-trace.js';
import { statusOf } from './errors.js';

/** stampsOf is the stage stamps of a call served on the fast path while stage tracing is on. */
export function stampsOf(call: object): CallStamps | undefined {
  return stageTrace ? (call as { stamps?: CallStamps }).stamps : undefined;
}

export function serve<Req, Res>(handler: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>): void => {
    let p: Promise<Res>;
    try {
      p = handler(call.request, call);
    } catch (err) {
      cb(statusOf(err));
      return;
    }
    p.then(
      (res) => {
        cb(null, res);
        const stamps = stampsOf(call);
        if (stamps && stamps[5] > 0) {
          stamps[4] = wallMs();
          stageTrace!.call(stamps);
        }
      },
      (err: unknown) => cb(statusOf(err)),
    );
  };
}
