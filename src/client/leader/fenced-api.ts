/**
 * fencedApi: the API a leader's work uses. Every write carries the term's fence, which the API
 * server checks in the write's own store transaction, so a leader that lost its lease without
 * noticing yet (a pause, a partition) can change nothing. A refusal (403 Forbidden about
 * "leases") is also the fastest news of a lost term: the elector steps down at once.
 * Reads and watches are not fenced: a stale reader cannot harm anything.
 */
import { isStatusError } from '../../api/errors.js';
import type { ComponentApi } from '../component-api.js';
import type { LeaderFence } from '../types.js';

/** isFenceRefusal: the API server refused a write because its fence is no longer current. */
export function isFenceRefusal(e: unknown): boolean {
  return isStatusError(e) && e.code === 403 && e.status.details?.kind === 'leases';
}

/** fencedApi wraps api so writes carry fence; onFenced runs when one is refused for it. */
export function fencedApi(api: ComponentApi, fence: LeaderFence, onFenced: () => void):
  ComponentApi {
  const f = { fence };
  const guard = async <R>(write: Promise<R>): Promise<R> => {
    try {
      return await write;
    } catch (e) {
      if (isFenceRefusal(e)) onFenced();
      throw e;
    }
  };
  return {
    get: (r, ns, name, o) => api.get(r, ns, name, o),
    list: (r, ns, o) => api.list(r, ns, o),
    watch: (r, ns, o) => api.watch(r, ns, o),
    create: (r, ns, obj, o) => guard(api.create(r, ns, obj, { ...o, ...f })),
    update: (r, ns, obj, o) => guard(api.update(r, ns, obj, { ...o, ...f })),
    patch: (r, ns, name, type, body, o) =>
      guard(api.patch(r, ns, name, type, body, { ...o, ...f })),
    delete: (r, ns, name, o) => guard(api.delete(r, ns, name, { ...o, ...f })),
    bind: (ns, pod, node, o) => guard(api.bind(ns, pod, node, { ...o, ...f })),
  };
}
