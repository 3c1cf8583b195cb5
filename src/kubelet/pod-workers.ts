/**
 * startPodActor: the dispatcher's default worker, the XState pod actor (pod/actor.ts), behind the
 * WorkerHandle the dispatcher speaks: events in, its done output out. stop() stops the actor
 * without termination (kubelet shutdown leaves containers running).
 */
import { toPromise } from 'xstate';
import type { Pod } from '../api/core/v1/pod-types.js';
import type { WorkerHandle } from './dispatcher/dispatcher.js';
import { createPodWorker } from './pod/actor.js';
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
      send: (e) => actor.send(e),
      done,
      stop: () => actor.stop(),
    };
  };
}
