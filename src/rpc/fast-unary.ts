/**
 * installFastUnary makes a grpc-js Server serve its UNARY calls through fast-unary-serve.ts, a
 * lean node:http2 path (~30 % less server CPU per call than grpc-js's own), and leaves every
 * other stream — streaming methods, compressed or unusual requests, unknown paths — to grpc-js.
 * Handlers stay grpc-js-shaped `(call, callback)`; what they see is the same.
 */
import type { IncomingHttpHeaders } from 'node:http2';
import type { ChannelOptions, Server } from '@grpc/grpc-js';
import { systemClock, type Clock } from '../base/clock.js';
import { onRegister, routeStreams } from './fast-unary-hook.js';
import { serveUnary, type FastUnaryEnv, type UnaryMethod } from './fast-unary-serve.js';

/** grpc-js's defaults when the options name no limit (-1: unlimited). */
const GRPC_DEFAULT_MAX_RECEIVE = 4 * 1024 * 1024;
const GRPC_DEFAULT_MAX_SEND = -1;

const stats = new WeakMap<Server, { served: number }>();

/** installFastUnary hooks server (fresh, before addService and bindAsync); options are the ones
 *  it was created with, for the message size limits. */
export function installFastUnary(
  server: Server,
  options: ChannelOptions,
  clock: Clock = systemClock,
): void {
  const methods = new Map<string, UnaryMethod>();
  const env: FastUnaryEnv = {
    clock,
    wallNowMs: () => Date.now(),
    maxReceiveBytes: limit(options['grpc.max_receive_message_length'], GRPC_DEFAULT_MAX_RECEIVE),
    maxSendBytes: limit(options['grpc.max_send_message_length'], GRPC_DEFAULT_MAX_SEND),
    stats: { served: 0 },
  };
  stats.set(server, env.stats);
  onRegister(
    server,
    (r) => {
      if (r.type !== 'unary') return;
      const handler = r.handler as UnaryMethod['handler'];
      const { name: path, deserialize, serialize } = r;
      methods.set(path, { path, deserialize, serialize, handler });
    },
    (name) => methods.delete(name),
  );
  routeStreams(server, (stream, headers) => {
    const method = eligible(headers) ? methods.get(headers[':path'] ?? '') : undefined;
    if (method === undefined) return false;
    serveUnary(stream, headers, method, env);
    return true;
  });
}

/** fastUnaryServed counts the calls server served on the fast path (0 if not installed): the
 *  tests read it to notice a grpc-js upgrade that bypasses the hook. */
export function fastUnaryServed(server: Server): number {
  return stats.get(server)?.served ?? 0;
}

/** eligible: a plain gRPC request (POST, protobuf or unspecified subtype, identity encoding). */
function eligible(h: IncomingHttpHeaders): boolean {
  if (h[':method'] !== 'POST') return false;
  const ct = h['content-type'];
  if (ct !== 'application/grpc' && ct !== 'application/grpc+proto') return false;
  const enc = h['grpc-encoding'];
  return enc === undefined || enc === 'identity';
}

function limit(v: unknown, fallback: number): number {
  return typeof v === 'number' ? v : fallback;
}
