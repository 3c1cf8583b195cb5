/**
 * requestOn: ClientHttp2Session.request() without Node 20's per-call AsyncResource.bind cost.
 *
 * On Node < 24, request() wraps its connect callback with `new AsyncResource(...).bind(fn)`, and
 * bind defines the deprecated `asyncResource` accessor (DEP0172) on every bound function through
 * two deprecate() wrappers (nodejs/node#58218; Node 24 stopped binding there, #59195). That is
 * 11–15 µs of client CPU per request against a ~22 µs request in
 * bench/lib/h2-request-bind-micro.ts, on every store and API call.
 *
 * So around request() — synchronous: no other code runs meanwhile — AsyncResource.prototype.bind
 * is swapped for leanBind, which runs fn in the resource's async scope exactly as bind does
 * (same this, arguments, return value and AsyncLocalStorage context) but defines no deprecated
 * accessor, and the bind found before the call is put back, even if request() throws. Nothing
 * in request() reads that accessor. Other callers of bind never see the swap. Every HTTP/2
 * request k8ts makes as a client (store, component API, CRI) opens here, so no process needs the
 * bind replaced for good (bench/lib/h2-request-bind-micro.ts 'global': no cheaper than the swap).
 */
import { AsyncResource } from 'node:async_hooks';
import type { ClientHttp2Session, ClientHttp2Stream, OutgoingHttpHeaders } from 'node:http2';

type Bind = (this: AsyncResource, fn: (...args: unknown[]) => unknown, thisArg?: unknown) =>
  (...args: unknown[]) => unknown;

/** Node 24 and later do not bind in request(): no swap there. */
const SWAP_BIND = Number(process.versions.node.split('.')[0]) < 24;

const proto = AsyncResource.prototype as unknown as { bind: Bind };

/** leanBind is AsyncResource#bind without the deprecated asyncResource accessor. */
export function leanBind(
  this: AsyncResource, fn: (...args: unknown[]) => unknown, thisArg?: unknown,
): (...args: unknown[]) => unknown {
  const resource = this; // eslint-disable-line @typescript-eslint/no-this-alias
  // Anonymous on purpose: tsx (esbuild keepNames) would define `name` on a named function
  // expression each time it is created — a property definition per call, what this avoids.
  return function (this: unknown, ...args: unknown[]): unknown {
    return resource.runInAsyncScope(fn, thisArg === undefined ? this : thisArg, ...args);
  };
}

/** requestOn opens a stream of session with headers (see the file comment). */
export function requestOn(
  session: ClientHttp2Session, headers: OutgoingHttpHeaders,
): ClientHttp2Stream {
  const bind = proto.bind;
  if (!SWAP_BIND) return session.request(headers);
  proto.bind = leanBind as Bind;
  try {
    return session.request(headers);
  } finally {
    proto.bind = bind;
  }
}
