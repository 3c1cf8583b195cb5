/**
 * The controller manager's core (kube-controller-manager's StartControllers): for one term of
 * leadership, every enabled controller started on the leader's fenced API and the term's view of
 * the informers, and all of them stopped when the term ends. Controllers keep no state across
 * terms; the informers' caches do (src/client/cache/term-informers.ts), because a watch-fed
 * cache is as true for the next term as for this one.
 */
import type { ControllerContext, ControllerDescriptor } from './types.js';

/** ManagerOptions: one leadership term's dependencies, and the controllers to run. */
export interface ManagerOptions extends ControllerContext {
  controllers: readonly ControllerDescriptor[];
}

/**
 * runControllers starts every controller, then the informers they asked for, and resolves when
 * all controllers have stopped (the signal aborted). A controller that fails is logged and the
 * others keep running: one broken loop must not take the cluster's other loops with it.
 */
export async function runControllers(o: ManagerOptions): Promise<void> {
  const { controllers: _c, ...ctx } = o;
  const runs = o.controllers.map(async (d) => {
    try {
      await d.start({ ...ctx, log: (line) => o.log(`${d.name}: ${line}`) });
    } catch (err) {
      const why = err instanceof Error ? (err.stack ?? err.message) : String(err);
      o.log(`${d.name}: stopped with error: ${why}`);
    }
  });
  o.informers.start();
  const names = o.controllers.map((d) => d.name).join(', ');
  o.log(`started ${o.controllers.length} controllers: ${names}`);
  try {
    await Promise.all(runs);
  } finally {
    o.informers.stop();
  }
}
