/**
 * The ServiceAccount controller's shell: namespace adds and updates, and deletions of a managed
 * account, enqueue the namespace; sync re-reads both caches and creates what planServiceAccounts
 * says is missing. AlreadyExists (a cache behind the API), Forbidden (the namespace began
 * terminating) and NotFound (it is gone) are normal outcomes, as upstream.
 */
import type { Namespace } from '../../api/core/v1/cluster-kinds.js';
import type { ServiceAccount } from '../../api/core/v1/service-account.js';
import { isStatusError } from '../../api/errors.js';
import type { Informer } from '../../client/cache/types.js';
import { newWorkQueue } from '../../client/workqueue/queue.js';
import type { SyncResult, WorkQueue } from '../../client/workqueue/types.js';
import { runQueueWorkers } from '../base/queue-workers.js';
import { NAMESPACES, SERVICE_ACCOUNTS } from '../base/resources.js';
import type { ControllerContext, ControllerDescriptor } from '../types.js';
import { MANAGED_SERVICE_ACCOUNTS, planServiceAccounts } from './plan.js';

/** WORKERS: upstream's --concurrent-serviceaccount-token-syncs default is 5; one suffices here
 *  for a create per namespace, but a few keep a burst of new namespaces quick. */
const WORKERS = 2;

/** serviceAccountController registers "serviceaccount". */
export const serviceAccountController: ControllerDescriptor = {
  name: 'serviceaccount',
  start: (ctx) => new ServiceAccountController(ctx).run(),
};

/** ServiceAccountController is one leadership term's ServiceAccount controller. */
export class ServiceAccountController {
  private readonly namespaces: Informer<Namespace>;
  private readonly accounts: Informer<ServiceAccount>;
  /** Namespace names to check. */
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.namespaces = ctx.informers.informerFor<Namespace>(NAMESPACES);
    this.accounts = ctx.informers.informerFor<ServiceAccount>(SERVICE_ACCOUNTS);
    this.queue = newWorkQueue({ clock: ctx.clock, name: 'serviceaccount' });
    const ns = (n: Namespace): void => this.queue.add(n.metadata.name ?? '');
    this.namespaces.addHandlers({ add: ns, update: (_o, n) => ns(n) });
    this.accounts.addHandlers({
      delete: (sa) => {
        if (MANAGED_SERVICE_ACCOUNTS.includes(sa.metadata.name ?? '')) {
          this.queue.add(sa.metadata.namespace ?? '');
        }
      },
    });
  }

  /** run waits for the caches, then runs workers until the signal aborts. */
  run(): Promise<void> {
    return runQueueWorkers(this.ctx,
      { queue: this.queue, sync: (k) => this.sync(k), workers: WORKERS });
  }

  /** sync creates the managed accounts one namespace lacks. */
  async sync(name: string): Promise<SyncResult> {
    const ns = this.namespaces.lister.get(undefined, name);
    const actions = planServiceAccounts(ns, this.accounts.lister.list(name));
    for (const a of actions) {
      try {
        await this.ctx.api.create(SERVICE_ACCOUNTS, name, a.serviceAccount,
          { fieldManager: 'serviceaccount-controller' });
      } catch (err) {
        if (isStatusError(err) && [403, 404, 409].includes(err.code)) continue;
        throw err;
      }
    }
  }
}
