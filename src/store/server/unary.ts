/**
 * serve adapts a promise-returning handler to grpc-js's unary callback, mapping failures to
 * etcd's statuses. Handlers stay plain async functions that read like the etcd docs.
 */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { statusOf } from './errors.js';

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
      (res) => cb(null, res),
      (err: unknown) => cb(statusOf(err)),
    );
  };
}
