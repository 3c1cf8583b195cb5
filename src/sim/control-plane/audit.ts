/**
 * The audit: a recording ApiRegistry wrapper that tags every registry call with who made it and
 * which leader fence the caller MEANT to carry, so a commit seen by the store (MemoryStorage's
 * observer) can be attributed to its call. The tag travels in an AsyncLocalStorage: the store
 * commits deep inside the registry's promise chain, where nothing else about the caller is left.
 *
 * The fencing invariant needs the intended fence, not the fence the store saw: with
 * `stripFences` (the checker's self-test) the wrapper drops the fence before the registry sees
 * it, exactly the bug "a write path forgets the fence" — and the invariant must still catch it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isStatusError } from '../../api/errors.js';
import type { ApiRegistry, RequestContext } from '../../apiserver/registry/types.js';
import type { LeaderFence } from '../../client/types.js';

/** CallTag describes the registry call a commit came from. */
export interface CallTag {
  /** The caller's user name, e.g. system:kube-controller-manager. */
  user: string;
  /** The fence the caller sent (before any stripping). */
  fence: LeaderFence | undefined;
  /** The registry verb: create, update, patch, delete, bind. */
  verb: string;
}

/** AuditOptions: the self-test switch. */
export interface AuditOptions {
  /** Drop every fence before the registry sees it (a known-bad system the checker must flag). */
  stripFences?: boolean;
}

/** Audit tags registry calls; current() is the tag of the call whose commit is running. */
export class Audit {
  /** Writes the registry refused for a stale fence (proof the faults exercised fencing). */
  fenceRefusals = 0;
  private readonly als = new AsyncLocalStorage<CallTag>();

  constructor(private readonly o: AuditOptions = {}) {}

  /** current: the call that is committing now (undefined outside any audited call). */
  current(): CallTag | undefined {
    return this.als.getStore();
  }

  /** wrap returns inner with every write tagged (reads and watches pass straight through). */
  wrap(inner: ApiRegistry): ApiRegistry {
    const tagged = <R>(verb: string, ctx: RequestContext, f: (c: RequestContext) => Promise<R>):
      Promise<R> => {
      const tag: CallTag = { user: ctx.user.name, fence: ctx.fence, verb };
      const sent = this.o.stripFences === true ? { user: ctx.user } : ctx;
      return this.als.run(tag, () => f(sent)).catch((e: unknown) => {
        if (isStatusError(e) && e.code === 403 && e.status.details?.kind === 'leases') {
          this.fenceRefusals++;
        }
        throw e;
      });
    };
    return {
      get: (ctx, ...a) => inner.get(ctx, ...a),
      list: (ctx, ...a) => inner.list(ctx, ...a),
      watch: (ctx, ...a) => inner.watch(ctx, ...a),
      create: (ctx, ...a) => tagged('create', ctx, (c) => inner.create(c, ...a)),
      update: (ctx, ...a) => tagged('update', ctx, (c) => inner.update(c, ...a)),
      patch: (ctx, ...a) => tagged('patch', ctx, (c) => inner.patch(c, ...a)),
      delete: (ctx, ...a) => tagged('delete', ctx, (c) => inner.delete(c, ...a)),
      bind: (ctx, ...a) => tagged('bind', ctx, (c) => inner.bind(c, ...a)),
    };
  }
}
