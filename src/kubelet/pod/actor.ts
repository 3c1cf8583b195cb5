/**
 * One pod's life as an XState v5 actor (upstream's pod worker): a shell that sequences syncs,
 * waits and termination; the decisions live in plan.ts and status/, the effects in sync.ts and
 * worker-steps.ts.
 *
 *   syncing ──(SYNC_DONE)──► waiting ──(wake | POD_UPDATED | probe change)──► syncing
 *      └──(pod done)─► finished   (restartPolicy says nothing runs again)
 *   syncing, waiting, finished (the pod is alive) ── POD_DELETED / TERMINATE, once no sync
 *      runs ──► terminating ──(TERMINATE_DONE)──► done (output: PodWorkerOutput)
 *
 * One sync at a time: events that arrive during a sync mark the context dirty and the next
 * sync follows at once. A pod update marks it only when it changes what a sync reads
 * (pod-change.ts): the echo of the worker's own status write does not. While alive, a prober
 * child runs the pod's probes and reports verdict changes; a pod whose containers declare no
 * probe (probes cannot be added to a pod's containers later) gets no prober child at all.
 * Wake-ups: a back-off's end, else every runningPollMs while a container runs (that
 * is how an exited container is noticed: ≤ 2 CRI list calls per pod per poll), else resyncMs;
 * when the node relists the runtime (deps.relist), RUNTIME_CHANGED wakes a waiting worker
 * instead of that poll (a syncing one ignores it: the relist repeats until the worker saw it).
 * Termination: a second POD_DELETED with a shorter grace period shortens the stop under way; a
 * failed termination is retried (TERMINATE_ATTEMPTS_MAX times, runningPollMs apart), then the
 * worker gives up and ends.
 *
 * Lean on purpose (a node starts 100 of these at once, issue 6): waits are delayed transitions
 * (`after`) on the actor system's scheduler, not a timer child actor per wait; a sync and a
 * termination are promises the state's entry starts and whose end comes back as an event
 * (syncStepAction), not invoked child actors; the living states share their event handlers
 * (ALIVE) instead of nesting in a parent state; and the prober exists only for probed pods.
 * Per pod life this machine creates one actor (itself) where it made 5 (a timer per wait, a
 * sync, a termination), and a burst pod's life (start, one sync, deletion, termination) cost
 * the actor ~30 % less CPU than with invoked steps in a nested state (92-94 vs 130-140 µs/pod,
 * bench/lib/node-burst-actor-micro.ts, status building included). Timers use the injected
 * clock: start the actor with createPodWorker (or pass actorClock(deps.clock) as createActor's
 * clock).
 */
import {
  assertEvent, assign, createActor, enqueueActions, fromCallback, fromPromise, setup, spawnChild, stopChild,
  type Actor,
} from 'xstate';
import type { Container, Pod, PodStatus } from '../../api/core/v1/pod-types.js';
import { actorClock } from '../../base/actor-clock.js';
import type { ProbeChange, ProbedContainer } from '../probes/prober.js';
import { PodObserver } from './cri-observe.js';
import { EMPTY_OBSERVED, podIpsOf, type ObservedPod } from './observed.js';
import type { WaitingReason } from './plan.js';
import { needsSync } from './pod-change.js';
import { podLog } from './pod-events.js';
import { EMPTY_MEMORY, type SyncResult, type WorkerMemory } from './sync.js';
import {
  DEFAULT_POD_WORKER_TUNING,
  type PodWorkerDeps,
  type PodWorkerInput,
  type PodWorkerOutput,
  type PodWorkerTuning,
} from './types.js';
import {
  EMPTY_PROBES,
  applyProbeChange,
  deletionGrace,
  newProber,
  pruneProbes,
  reportIfChanged,
  runSyncStep,
  runTerminate,
  runningTargets,
  hurryStop,
  type HurryInput,
  type ProbeState,
  type SyncStepInput,
  type TerminateInput,
} from './worker-steps.js';

/** Attempts at termination before the worker gives up on a runtime that keeps failing. */
const TERMINATE_ATTEMPTS_MAX = 10;

/** PodWorkerContext is the actor's whole memory. */
export interface PodWorkerContext {
  deps: PodWorkerDeps;
  tuning: PodWorkerTuning;
  runtimeName: string;
  observer: PodObserver;
  pod: Pod;
  memory: WorkerMemory;
  probes: ProbeState;
  observed: ObservedPod;
  waiting: Record<string, WaitingReason>;
  lastStatus: PodStatus | undefined;
  wakeAtMs: number | undefined;
  dirty: boolean;
  /** Set by POD_DELETED/TERMINATE: how to end. */
  ending: { graceSeconds: number; deleted: boolean } | undefined;
  terminateAttempts: number;
  /** Some container declares a probe: the worker runs a prober child (fixed for its life). */
  probed: boolean;
}

/** Internal events besides PodWorkerEvent. */
type InternalEvent =
  | { type: 'SYNC_DONE'; output: SyncResult }
  | { type: 'SYNC_FAILED'; error: unknown }
  | { type: 'TERMINATE_DONE'; output: PodStatus }
  | { type: 'TERMINATE_FAILED'; error: unknown }
  | { type: 'PROBE_CHANGE'; change: ProbeChange }
  | { type: 'PROBE_TARGETS'; pod: Pod; podIp: string; targets: ProbedContainer[] };

/** AnyEvent is every event the machine handles. */
type AnyEvent = import('./types.js').PodWorkerEvent | InternalEvent;

/** waitMs is how long the worker sleeps before its next sync. */
export function waitMs(ctx: PodWorkerContext): number {
  const running = ctx.observed.containers.some((c) => c.state === 'running');
  // With the node's relist a change wakes the worker (RUNTIME_CHANGED); no need to poll.
  const poll = running && ctx.deps.relist === undefined;
  const periodMs = poll ? ctx.tuning.runningPollMs : ctx.tuning.resyncMs;
  if (ctx.wakeAtMs === undefined) return periodMs;
  return Math.max(0, Math.min(periodMs, ctx.wakeAtMs - ctx.deps.wallMs()));
}

/** syncDone folds a sync's result into the context and reports a changed status. */
function syncDone(ctx: PodWorkerContext, r: SyncResult, terminal: boolean) {
  ctx.deps.relist?.seen(ctx.pod.metadata.uid ?? '', r.observed);
  const probes = pruneProbes(ctx.probes, r.observed);
  const lastStatus = reportIfChanged({
    deps: ctx.deps, pod: ctx.pod, observed: r.observed, waiting: r.waiting, probes,
    terminal, lastStatus: ctx.lastStatus, runtimeName: ctx.runtimeName,
    failure: r.memory.failure,
  });
  return {
    memory: r.memory, observed: r.observed, waiting: r.waiting, probes, lastStatus,
    wakeAtMs: r.wakeAtMs,
  };
}

/** probeTargets tells the prober which instances run now (none once the pod finished). */
function probeTargets({ context: c }: { context: PodWorkerContext }): AnyEvent {
  const podIp = podIpsOf(c.pod.spec?.hostNetwork === true, c.observed, c.deps.node.ip)[0] ?? '';
  return { type: 'PROBE_TARGETS', pod: c.pod, podIp, targets: runningTargets(c.pod, c.observed) };
}

/** hasProbes: some container (init containers included: sidecars are probed) declares a
 *  probe. A pod's containers cannot gain probes later (the API refuses such updates). */
export function hasProbes(pod: Pod): boolean {
  const probed = (c: Container): boolean => c.livenessProbe !== undefined ||
    c.readinessProbe !== undefined || c.startupProbe !== undefined;
  return (pod.spec?.containers ?? []).some(probed) ||
    (pod.spec?.initContainers ?? []).some(probed);
}

/** What a step's action gets from XState: the worker's context and the worker itself. */
interface StepArgs {
  context: PodWorkerContext;
  self: { send(e: AnyEvent): void };
}

/**
 * syncStepAction: the action that starts one sync (run) and sends its end back to the worker
 * (SYNC_DONE / SYNC_FAILED). A plain promise, not an invoked promise actor: a child actor per
 * sync (its own Actor, mailbox, AbortController, snapshot and system registration) was a good
 * part of the machine's cost per pod (bench/lib/node-burst-actor-micro.ts). Nothing but the
 * end of the sync leaves syncing, so its answer always finds the worker there; a worker
 * stopped meanwhile drops it (XState ignores sends to a stopped actor). Tests provide their
 * own run (podWorkerMachine.provide, action startSync).
 */
export function syncStepAction(run: (input: SyncStepInput) => Promise<SyncResult>) {
  return ({ context: c, self }: StepArgs): void => {
    run({
      deps: c.deps, observer: c.observer, pod: c.pod, memory: c.memory,
      probes: c.probes, tuning: c.tuning, previousWaiting: c.waiting,
      startTime: (c.lastStatus ?? c.pod.status)?.startTime,
    }).then((output) => self.send({ type: 'SYNC_DONE', output }),
      (error: unknown) => self.send({ type: 'SYNC_FAILED', error }));
  };
}

/** terminateStepAction: as syncStepAction, for one attempt at termination (TERMINATE_DONE /
 *  TERMINATE_FAILED); only their answer leaves terminating. */
export function terminateStepAction(run: (input: TerminateInput) => Promise<PodStatus>) {
  return ({ context: c, self }: StepArgs): void => {
    run({
      deps: c.deps, observer: c.observer, pod: c.pod, waiting: c.waiting, probes: c.probes,
      lastStatus: c.lastStatus, runtimeName: c.runtimeName, failure: c.memory.failure,
      graceSeconds: c.ending?.graceSeconds ?? 0,
    }).then((output) => self.send({ type: 'TERMINATE_DONE', output }),
      (error: unknown) => self.send({ type: 'TERMINATE_FAILED', error }));
  };
}

/**
 * ALIVE: what a living pod's worker (syncing, waiting, finished) does with the pod's events —
 * remember the newest pod (and whether a sync must follow), note a deletion or a termination
 * for the next state to act on, fold a probe verdict in. Shared by those states rather than
 * held by a parent state around them: a compound state cost every transition of the worker
 * its ancestor bookkeeping (XState's configuration, state value, entry and exit sets).
 */
const ALIVE = {
  POD_UPDATED: { actions: 'podUpdated' },
  POD_DELETED: { actions: 'podDeleted' },
  TERMINATE: { actions: 'terminateAsked' },
  PROBE_CHANGE: { actions: 'probeChanged' },
} as const;

/** podWorkerMachine is the pod worker; start it with a PodWorkerInput (createPodWorker). */
export const podWorkerMachine = setup({
  types: {
    context: {} as PodWorkerContext,
    events: {} as AnyEvent,
    input: {} as PodWorkerInput,
    output: {} as PodWorkerOutput,
  },
  actors: {
    hurry: fromPromise<void, HurryInput>(({ input }) => hurryStop(input)),
    prober: fromCallback<AnyEvent, { deps: PodWorkerDeps; pod: Pod }>(
      ({ input, sendBack, receive }) => {
        let pod = input.pod;
        const prober = newProber(input.deps, () => pod,
          (change) => sendBack({ type: 'PROBE_CHANGE', change }));
        receive((event) => {
          if (event.type !== 'PROBE_TARGETS') return;
          pod = event.pod;
          prober.update(event.podIp, event.targets);
        });
        return () => prober.stop();
      },
    ),
  },
  actions: {
    startSync: syncStepAction(runSyncStep),
    startTerminate: terminateStepAction(runTerminate),
    podUpdated: assign(({ context, event }) => {
      assertEvent(event, 'POD_UPDATED');
      // Before the first status exists the status is built from the API's copy: resync.
      return { pod: event.pod, dirty: context.dirty || context.lastStatus === undefined ||
        needsSync(context.pod, event.pod) };
    }),
    podDeleted: assign(({ context, event }) => {
      assertEvent(event, 'POD_DELETED');
      const pod = event.pod ?? context.pod;
      return { pod, ending: { graceSeconds: deletionGrace(pod, event.gracePeriodSeconds),
        deleted: true } };
    }),
    terminateAsked: assign(({ context, event }) => {
      assertEvent(event, 'TERMINATE');
      return { ending: { graceSeconds: deletionGrace(context.pod, event.gracePeriodSeconds),
        deleted: false } };
    }),
    probeChanged: assign(({ context, event }) => {
      assertEvent(event, 'PROBE_CHANGE');
      return { probes: applyProbeChange(context.probes, event.change), dirty: true };
    }),
    /** After a sync: the prober learns the running instances (probed pods only). */
    tellProber: enqueueActions(({ context, enqueue }) => {
      if (context.probed) enqueue.sendTo('prober', probeTargets({ context }));
    }),
  },
  delays: {
    wake: ({ context }) => waitMs(context),
    retry: ({ context }) => context.tuning.runningPollMs,
  },
  guards: {
    ending: ({ context }) => context.ending !== undefined,
    dirty: ({ context }) => context.dirty,
  },
}).createMachine({
  id: 'pod-worker',
  context: ({ input }) => ({
    deps: input.deps,
    tuning: { ...DEFAULT_POD_WORKER_TUNING, ...input.tuning },
    runtimeName: input.runtimeName ?? 'cri',
    observer: new PodObserver(input.deps.cri, input.pod.metadata.uid ?? '',
      input.deps.relist?.startsEmpty?.(input.pod.metadata.uid ?? '') ?? false),
    pod: input.pod,
    memory: EMPTY_MEMORY,
    probes: EMPTY_PROBES,
    observed: EMPTY_OBSERVED,
    waiting: {},
    lastStatus: undefined,
    wakeAtMs: undefined,
    dirty: false,
    ending: undefined,
    terminateAttempts: 0,
    probed: hasProbes(input.pod),
  }),
  // The prober lives while the pod does (syncing, waiting, finished): started here, stopped
  // as termination begins.
  entry: enqueueActions(({ context, enqueue }) => {
    if (!context.probed) return;
    enqueue.spawnChild('prober', {
      id: 'prober', input: { deps: context.deps, pod: context.pod },
    });
  }),
  initial: 'syncing',
  states: {
    syncing: {
      // dirty is cleared as the sync starts, so events that arrive during it mark it again.
      entry: [assign({ dirty: false }), 'startSync'],
      on: {
        ...ALIVE,
        SYNC_DONE: [
          {
            guard: ({ event }) => event.output.podDone,
            target: 'finished',
            actions: [
              assign(({ context, event }) => syncDone(context, event.output, true)),
              'tellProber',
            ],
          },
          {
            // waiting's eventless transitions end or sync again at once when due.
            target: 'waiting',
            actions: [
              assign(({ context, event }) => syncDone(context, event.output, false)),
              'tellProber',
            ],
          },
        ],
        SYNC_FAILED: {
          target: 'waiting',
          actions: ({ context, event }) =>
            podLog(context.deps, context.pod, `sync failed: ${String(event.error)}`),
        },
      },
    },
    /** waiting: after a sync; ends, or syncs again, at once when that is due (no state
     *  of its own in between: one microstep less per sync). */
    waiting: {
      always: [
        { guard: 'ending', target: 'terminating' },
        { guard: 'dirty', target: 'syncing' },
      ],
      after: { wake: 'syncing' },
      on: { ...ALIVE, RUNTIME_CHANGED: 'syncing' },
    },
    /** finished: every container is done for good; waits for deletion. */
    finished: {
      always: { guard: 'ending', target: 'terminating' },
      on: {
        ...ALIVE,
        POD_UPDATED: { actions: assign({ pod: ({ event }) => event.pod }) },
        PROBE_CHANGE: {},
      },
    },
    terminating: {
      entry: [stopChild('prober'), 'startTerminate'],
      on: {
        TERMINATE_DONE: {
          target: 'done', actions: assign({ lastStatus: ({ event }) => event.output }),
        },
        TERMINATE_FAILED: { target: 'retryTerminate' },
        // A second deletion with a shorter grace period (kubectl delete --grace-period=0
        // --force) shortens the stop already under way, as upstream's pod worker does.
        POD_DELETED: {
          guard: ({ context, event }) =>
            deletionGrace(context.pod, event.gracePeriodSeconds) <
              (context.ending?.graceSeconds ?? 0),
          actions: [
            assign({
              ending: ({ context, event }) => ({
                graceSeconds: deletionGrace(context.pod, event.gracePeriodSeconds),
                deleted: true,
              }),
            }),
            spawnChild('hurry', {
              input: ({ context }) => ({
                deps: context.deps,
                pod: context.pod,
                graceSeconds: context.ending?.graceSeconds ?? 0,
              }),
            }),
          ],
        },
      },
    },
    retryTerminate: {
      entry: [
        assign({ terminateAttempts: ({ context }) => context.terminateAttempts + 1 }),
        ({ context, event }) => podLog(context.deps, context.pod,
          `termination failed: ${String((event as { error?: unknown }).error)}`),
      ],
      always: {
        guard: ({ context }) => context.terminateAttempts >= TERMINATE_ATTEMPTS_MAX,
        target: 'done',
      },
      after: { retry: 'terminating' },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => ({
    uid: context.pod.metadata.uid ?? '',
    deleted: context.ending?.deleted ?? false,
    finalStatus: context.lastStatus ?? {},
  }),
});

/** PodWorkerActor is a running pod worker. */
export type PodWorkerActor = Actor<typeof podWorkerMachine>;

/** createPodWorker creates (start() it) a pod worker whose waits run on input.deps.clock. */
export function createPodWorker(input: PodWorkerInput): PodWorkerActor {
  return createActor(podWorkerMachine, { input, clock: actorClock(input.deps.clock) });
}
