/**
 * installLeanAsyncBind: Node 20's AsyncResource.prototype.bind, minus its deprecated extras.
 *
 * Why: node:http2's ClientHttp2Session.request() binds every new stream's start to an
 * AsyncResource (`reqAsync.bind(...)`), and Node 20's bind gives each bound function a `length`
 * and the deprecated `asyncResource` accessor (DEP0172) built from two fresh `deprecate()`
 * wrappers, each of which has its prototype set (Object.setPrototypeOf on a function). That costs
 * ~9 µs of CPU per call (100 000 calls, `new AsyncResource(..).bind(fn)`: 9.0 µs; the same
 * with this version: 0.1 µs) — per HTTP/2 request: every CRI call and every API call a kubelet
 * makes. In a 100-pod micro round `bind` was 4.6 % of the kubelet's sampled time.
 *
 * What stays: the bound function runs fn inside the resource's async scope (runInAsyncScope),
 * with `this` being thisArg when given, else the caller's `this` — exactly Node's behaviour.
 * What goes: `bound.asyncResource` (deprecated since Node 20, removed later) and `bound.length`
 * mirroring fn's; nothing in k8ts or node:http2 reads either. Installed once per process, by
 * the kubelet's entry (main.ts); idempotent.
 */
import { AsyncResource } from 'node:async_hooks';

/** Marks the replacement, so a second install is a no-op. */
const LEAN = Symbol.for('k8ts.leanAsyncBind');

type AnyFn = (...args: unknown[]) => unknown;

/** leanBind is the replacement bind (see the file comment). */
function leanBind(this: AsyncResource, fn: AnyFn, thisArg?: unknown): AnyFn {
  if (typeof fn !== 'function') {
    throw new TypeError('The "fn" argument must be of type function');
  }
  return boundTo(this, fn, thisArg);
}

/** boundTo: fn run in resource's async scope (a plain closure: no property definitions). */
function boundTo(resource: AsyncResource, fn: AnyFn, thisArg: unknown): AnyFn {
  return function bound(this: unknown, ...args: unknown[]): unknown {
    return resource.runInAsyncScope(fn, thisArg === undefined ? this : thisArg, ...args);
  };
}
Object.defineProperty(leanBind, LEAN, { value: true });

/** installLeanAsyncBind replaces AsyncResource.prototype.bind (once); returns whether it was
 *  installed by this call. */
export function installLeanAsyncBind(): boolean {
  const proto = AsyncResource.prototype as unknown as { bind: AnyFn & { [LEAN]?: boolean } };
  if (proto.bind[LEAN] === true) return false;
  proto.bind = leanBind as AnyFn;
  return true;
}
