/**
 * The namespace controller's shell: the namespace informer only enqueues names; sync lists the
 * namespace's content straight from the API (as upstream's dynamic client does: an informer per
 * resource would cache the whole cluster for a rare event), deletes it, lists again, and writes
 * what planNamespaceFinish decides — conditions, then the finalize subresource that hands the
 * namespace back to the API server for removal.
 */
import type { Namespace } from '../../api/core/v1/cluster-kinds.js';
import { isStatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { RESOURCES } from '../../api/resources.js';
import type { Informer } from '../../client/cache/types.js';
import type { ComponentApi } from '../../client/component-api.js';
import { newWorkQueue } from '../../client/workqueue/queue.js';
import type { SyncResult, WorkQueue } from '../../client/workqueue/types.js';
import type { ApiResource } from '../../client/types.js';
import { describeError } from '../base/api-errors.js';
import { rfc3339 } from '../base/pods.js';
import { onEveryChange, runQueueWorkers } from '../base/queue-workers.js';
import { NAMESPACES } from '../base/resources.js';
import type { ControllerContext, ControllerDescriptor } from '../types.js';
import {
  needsEmptying,
  planContentDeletes,
  planNamespaceFinish,
  type ContentDelete,
  type ContentListing,
  type NamespaceAction,
} from './plan.js';

/** PAGE_LIMIT and PAGES_MAX bound one resource's listing per pass (10,000 objects); more are
 *  deleted on the next pass. */
const PAGE_LIMIT = 500;
const PAGES_MAX = 20;
/** WORKERS: upstream's --concurrent-namespace-syncs default. */
const WORKERS = 10;
/** FIELD_MANAGER names the controller's namespace writes. */
const FIELD_MANAGER = 'namespace-controller';

/** namespaceController registers "namespace". */
export const namespaceController: ControllerDescriptor = {
  name: 'namespace',
  start: (ctx) => new NamespaceController(ctx).run(),
};

/** namespacedResources: every namespaced resource the API serves, in discovery order. */
export function namespacedResources(): ApiResource[] {
  return RESOURCES.filter((r) => r.namespaced && r.verbs.includes('delete'))
    .map((r) => ({ group: r.group, version: r.version, resource: r.resource }));
}

/** NamespaceController is one leadership term's namespace controller. */
export class NamespaceController {
  private readonly namespaces: Informer<Namespace>;
  /** Namespace names to look at. */
  private readonly queue: WorkQueue;
  /** Passes that left content behind, per namespace (the requeue backoff); bounded by the
   *  namespaces being deleted, dropped when one is finalized or gone. */
  private readonly attempts = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {
    this.namespaces = ctx.informers.informerFor<Namespace>(NAMESPACES);
    this.queue = newWorkQueue({ clock: ctx.clock, name: 'namespace' });
    const add = (n: Namespace): void => this.queue.add(n.metadata.name ?? '');
    this.namespaces.addHandlers(onEveryChange(add));
  }

  /** run waits for the cache, then runs workers until the signal aborts. */
  run(): Promise<void> {
    return runQueueWorkers(this.ctx,
      { queue: this.queue, sync: (k) => this.sync(k), workers: WORKERS });
  }

  /** sync empties one terminating namespace, or finalizes it once empty. */
  async sync(name: string): Promise<SyncResult> {
    const ns = this.namespaces.lister.get(undefined, name);
    if (!needsEmptying(ns)) {
      this.attempts.delete(name);
      return;
    }
    const api = this.ctx.api;
    let listings = await listContent(api, name);
    const deletes = planContentDeletes(name, listings);
    const deleteErrors = await deleteAll(api, deletes);
    if (deletes.length > 0) listings = await listContent(api, name);
    const attempt = this.attempts.get(name) ?? 0;
    const plan = planNamespaceFinish({ namespace: ns, listings, deleteErrors, attempt,
      nowWall: rfc3339(this.ctx.wallMs()) });
    await executeNamespace(api, ns, plan.actions);
    if (plan.requeueAfterMs === undefined) {
      this.attempts.delete(name);
      return;
    }
    this.attempts.set(name, attempt + 1);
    return { requeueAfterMs: plan.requeueAfterMs };
  }
}

/** listContent lists every namespaced resource in the namespace; failures become listings
 *  with an error (the plan reports them and tries again later). */
export async function listContent(api: ComponentApi, ns: string): Promise<ContentListing[]> {
  return Promise.all(namespacedResources().map(async (resource) => {
    try {
      return { resource, items: await listAll(api, resource, ns) };
    } catch (err) {
      const why = describeError(err);
      return { resource, items: [], error: `failed to list ${qualified(resource)}: ${why}` };
    }
  }));
}

async function listAll(api: ComponentApi, r: ApiResource, ns: string): Promise<KubeObject[]> {
  const items: KubeObject[] = [];
  let cont: string | undefined;
  for (let page = 0; page < PAGES_MAX; page++) {
    const list = await api.list(r, ns, { limit: PAGE_LIMIT, ...(cont ? { continue: cont } : {}) });
    items.push(...list.items);
    cont = list.metadata.continue;
    if (!cont) break;
  }
  return items;
}

/** deleteAll deletes each object; NotFound and a changed uid are fine, others are reported. */
async function deleteAll(api: ComponentApi, deletes: readonly ContentDelete[]): Promise<string[]> {
  const errors: string[] = [];
  for (const d of deletes) {
    try {
      await api.delete(d.resource, d.namespace, d.name,
        { propagationPolicy: 'Background', preconditions: { uid: d.uid } });
    } catch (err) {
      if (isStatusError(err) && (err.code === 404 || err.code === 409)) continue;
      const why = describeError(err);
      errors.push(`failed to delete ${qualified(d.resource)} ${d.name}: ${why}`);
    }
  }
  return errors;
}

/** executeNamespace writes status, then finalize, each from the object the last returned. */
async function executeNamespace(api: ComponentApi, cached: Namespace,
  actions: readonly NamespaceAction[]): Promise<void> {
  let latest = cached;
  const name = cached.metadata.name ?? '';
  try {
    for (const a of actions) {
      const next = structuredClone(latest);
      if (a.type === 'updateStatus') {
        next.status = { ...next.status, phase: a.phase, conditions: a.conditions };
        latest = await api.update<Namespace>(NAMESPACES, undefined, next,
          { subresource: 'status', fieldManager: FIELD_MANAGER });
      } else {
        next.spec = { ...next.spec, finalizers: a.finalizers };
        latest = await api.update<Namespace>(NAMESPACES, undefined, next,
          { subresource: 'finalize', fieldManager: FIELD_MANAGER });
      }
    }
  } catch (err) {
    // Gone already: nothing left to do (the namespace was finalized by someone else).
    if (isStatusError(err) && err.code === 404) return;
    throw new Error(`namespace ${name}: ${describeError(err)}`,
      { cause: err });
  }
}

function qualified(r: ApiResource): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}
