/**
 * The controller manager's core (kube-controller-manager's StartControllers): for one term of
 * leadership, a fresh set of shared informers over the leader's fenced API, every enabled
 * controller started on it, and all of them stopped when the term ends. A new term starts from a
 * fresh cache instead of trusting one that was filled while someone else was leading.
 */
import type { Clock } from '../base/clock.js';
import type { InformerFactory } from '../client/cache/types.js';
import type { ComponentApi } from '../client/component-api.js';
import type { EventRecorder } from '../client/events/types.js';
import type { ControllerContext, ControllerDescriptor } from './types.js';

/** ManagerOptions: one leadership term's dependencies. */
export interface ManagerOptions {
  api: ComponentApi;
  informers: InformerFactory;
  events: (component: string) => EventRecorder;
  clock: Clock;
  wallMs: () => number;
  log: (line: string) => void;
  signal: AbortSignal;
  controllers: readonly ControllerDescriptor[];
}

/**
 * runControllers starts every controller, then the informers they asked for, and resolves when
 * all controllers have stopped (the signal aborted). A controller that fails is logged and the
 * others keep running: one broken loop must not take the cluster's other loops with it.
 */
export async function runControllers(o: ManagerOptions): Promise<void> {
  const ctx: ControllerContext = {
    api: o.api,
    informers: o.informers,
    clock: o.clock,
    wallMs: o.wallMs,
    events: o.events,
    log: o.log,
    signal: o.signal,
  };
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
