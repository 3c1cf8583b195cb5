/**
 * unary promisifies one unary call with a deadline (every call has one) and typed errors: over
 * grpc-js (unary), or over the lean HTTP/2 client (unaryH2, src/rpc/h2-client.ts).
 */
import { Metadata, type CallOptions, type Client, type ServiceError } from '@grpc/grpc-js';
import { assert } from '../base/assert.js';
import { DEFAULT_DEADLINE_MS, deadlineIn } from './defaults.js';
import { fromServiceError } from './errors.js';
import { h2Unary, type H2Method } from './h2-client-call.js';
import type { H2Channel } from './h2-client.js';

/** UnaryMethod is the callback shape ts-proto's grpc-js clients expose for a unary method. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** UnaryOptions are optional per-call extras: request metadata (traceparent) and an error
 *  mapping for services whose failures carry more than a code (the component API's Status). */
export interface UnaryOptions {
  metadata?: Metadata;
  /** mapError replaces fromServiceError; the ServiceError is the caller's to wrap as cause. */
  mapError?: (err: ServiceError) => Error;
}

/** unary calls method on client and resolves with the response, or rejects with an RpcError. */
export function unary<C extends Client, Req, Res>(
  client: C,
  method: UnaryMethod<Req, Res>,
  request: Req,
  timeoutMs: number = DEFAULT_DEADLINE_MS,
  o: UnaryOptions = {},
): Promise<Res> {
  assert(timeoutMs > 0, `unary: timeout must be > 0, got ${timeoutMs}`);
  const options: Partial<CallOptions> = { deadline: deadlineIn(timeoutMs) };
  return settle(o, (cb) => method.call(client, request, o.metadata ?? new Metadata(), options, cb));
}

/** unaryH2 is unary over an H2Channel: the same deadline rule, errors and options. */
export function unaryH2<Req, Res>(
  channel: H2Channel,
  method: H2Method<Req, Res>,
  request: Req,
  timeoutMs: number = DEFAULT_DEADLINE_MS,
  o: UnaryOptions = {},
): Promise<Res> {
  assert(timeoutMs > 0, `unaryH2: timeout must be > 0, got ${timeoutMs}`);
  return settle(o, (cb) => h2Unary(channel, method, request, o.metadata, timeoutMs, cb));
}

/** settle turns a call's callback into a promise, failures mapped to typed errors. */
function settle<Res>(
  o: UnaryOptions,
  start: (cb: (err: ServiceError | null, res?: Res) => void) => unknown,
): Promise<Res> {
  const mapError = o.mapError ?? fromServiceError;
  return new Promise((resolve, reject) => {
    start((err, res) => {
      if (err) reject(mapError(err));
      else resolve(res as Res);
    });
  });
}
