/**
 * startPodActor: the dispatcher's default worker, the XState pod actor (pod/actor.ts), behind the
 * WorkerHandle the dispatcher speaks: events in (pod updates it need not see are dropped here:
 * echoOnly), its done output out. stop() stops the actor without termination (kubelet shutdown
 * leaves containers running).
 */
import { toPromise } from 'xstate';
import type { Pod } from '../api/core/v1/pod-types.js';
import type { WorkerHandle } from './dispatcher/dispatcher.js';
import { createPodWorker, type PodWorkerContext } from './pod/actor.js';
import { needsSync } from './pod/pod-change.js';
import type { PodWorkerDeps, PodWorkerTuning } from './pod/types.js';

/** podActorStarter binds the worker tuning; the result is a StartWorker. */
export function podActorStarter(tuning: Partial<PodWorkerTuning> = {}) {
  return (pod: Pod, deps: PodWorkerDeps, runtimeName: string): WorkerHandle => {
    const actor = createPodWorker({ pod, deps, tuning, runtimeName });
    const done = toPromise(actor);
    // A stopped actor's promise never settles; nobody awaits it after stop().
    done.catch(() => undefined);
    actor.start();
    return {
      send: (e) => {
        if (e.type === 'POD_UPDATED' && echoOnly(actor.getSnapshot().context, e.pod)) return;
        actor.send(e);
      },
      done,
      stop: () => actor.stop(),
    };
  };
}

/**
 * echoOnly: an update the worker need not see — its first status is reported (before that it
 * builds the status from the API's copy) and nothing a sync reads changed (needsSync: spec,
 * metadata but its version, readiness-gate conditions). Such an update is mostly the echo of
 * the worker's own status write (a burst pod's one write comes back through the watch); the
 * worker's copy of the pod stays the earlier object, equal in all it reads. Not sent, it
 * costs no round of the actor's state machine (a macrostep: ~1/3 of the events a burst pod's
 * worker handled).
 */
export function echoOnly(ctx: Pick<PodWorkerContext, 'lastStatus' | 'pod'>, pod: Pod): boolean {
  return ctx.lastStatus !== undefined && !needsSync(ctx.pod, pod);
}
