/**
 * Microbench of the kubelet's pod actor alone (src/kubelet/pod/actor.ts): the XState share of
 * node-burst-micro's kubelet CPU, without CRI, API or status writes. Each round starts P pod
 * workers at once, as a burst does, and takes each through a burst pod's life as the kubelet
 * drives it (node-burst-micro counted, per pod: one sync, one POD_DELETED, one termination):
 * start → its sync (stubbed: resolves with one running container) → POD_DELETED → its
 * termination (stubbed) → done. The status is really built (syncDone's reportIfChanged), so
 * the figure is the actor's machinery plus that. Reported: CPU µs per pod (process
 * cpuUsage, main thread and GC) and, with --expose-gc, heap bytes allocated per pod.
 *
 *   node --import tsx bench/lib/node-burst-actor-micro.ts [pods=100] [rounds=30]
 */
import { performance } from 'node:perf_hooks';
import { fromPromise, toPromise } from 'xstate';
import type { Pod, PodStatus } from '../../src/api/core/v1/pod-types.js';
import { systemClock } from '../../src/base/clock.js';
import { systemWallMs } from '../../src/base/wall-clock.js';
import type { CriRuntime } from '../../src/kubelet/cri/types.js';
import { podWorkerMachine } from '../../src/kubelet/pod/actor.js';
import type { ObservedPod } from '../../src/kubelet/pod/observed.js';
import type { SyncResult } from '../../src/kubelet/pod/sync.js';
import type { PodWorkerDeps } from '../../src/kubelet/pod/types.js';
import { actorClock } from '../../src/base/actor-clock.js';
import { createActor } from 'xstate';
import { loadNote } from './node-cluster.js';

const [pods = 100, rounds = 30] = process.argv.slice(2).map(Number);

function burstPod(i: number): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `p${i}`, namespace: 'bench', uid: `uid-${i}`, resourceVersion: '5' },
    spec: { nodeName: 'mw1', terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
    status: { phase: 'Pending' },
  };
}

function observedOf(i: number, now: number): ObservedPod {
  return {
    sandboxes: [{ id: `sb${i}`, attempt: 0, ready: true, createdAtMs: now, ips: ['127.65.201.9'] }],
    containers: [{ id: `c${i}`, name: 'c', attempt: 0, sandboxId: `sb${i}`, state: 'running',
      createdAtMs: now, startedAtMs: now, finishedAtMs: 0, exitCode: 0, reason: '', message: '',
      image: 'busybox', imageRef: 'sha256:1', specHash: '1', logPath: '/x/c/0.log' }],
  };
}

let reported = 0;
const deps: PodWorkerDeps = {
  cri: {} as CriRuntime,
  clock: systemClock,
  wallMs: systemWallMs,
  node: { name: 'mw1', ip: '127.0.0.1' },
  prepare: () => Promise.reject(new Error('not in this micro')),
  reportStatus: () => { reported++; },
  relist: { seen: () => undefined, startsEmpty: () => true },
};

/** A stubbed sync: the pod is found running. */
async function sync({ pod }: { pod: Pod }): Promise<SyncResult> {
  const i = Number(pod.metadata.uid?.slice(4));
  return { memory: { crashBackoff: {}, pullFailures: {}, startErrors: {} },
    observed: observedOf(i, systemWallMs()), waiting: {}, podDone: false };
}

/** The machine with CRI work stubbed: a sync finds the pod running, a termination ends it.
 *  A machine that runs its steps as actions (startSync, startTerminate: now) gets the stubs
 *  there, one that invokes step actors (sync, terminate: before) as those actors, so base and
 *  HEAD run the same work. */
const terminated = async (): Promise<PodStatus> => ({ phase: 'Succeeded' });
const machine = 'sync' in (podWorkerMachine.implementations.actors as object)
  ? podWorkerMachine.provide({ actors: {
    sync: fromPromise<SyncResult, { pod: Pod }>(({ input }) => sync(input)),
    terminate: fromPromise<PodStatus, unknown>(terminated),
  } } as never)
  : podWorkerMachine.provide({ actions: {
    startSync: ({ context, self }: Step) => {
      void sync(context).then((output) => self.send({ type: 'SYNC_DONE', output }));
    },
    startTerminate: ({ self }: Step) => {
      void terminated().then((output) => self.send({ type: 'TERMINATE_DONE', output }));
    },
  } } as never);

interface Step {
  context: { pod: Pod };
  self: { send(e: unknown): void };
}

async function round(): Promise<void> {
  const actors = Array.from({ length: pods }, (_, i) => {
    const a = createActor(machine, { input: { pod: burstPod(i), deps },
      clock: actorClock(systemClock) });
    const done = toPromise(a);
    a.start();
    return { a, done };
  });
  // Every sync done (each actor waits), as the burst's pods reach Running.
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  for (const { a } of actors) a.send({ type: 'POD_DELETED', gracePeriodSeconds: 1 });
  await Promise.all(actors.map(({ done }) => done));
}

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let w = 0; w < 5; w++) await round(); // warm
  console.log(`# pod actor micro: ${pods} pods x ${rounds} rounds; ${loadNote()}`);
  const cpu: number[] = [];
  const bytes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    gc?.();
    const h0 = process.memoryUsage().heapUsed;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await round();
    const c1 = process.cpuUsage(c0);
    void t0;
    cpu.push((c1.user + c1.system) / pods);
    if (gc !== undefined) bytes.push((process.memoryUsage().heapUsed - h0) / pods);
  }
  const sorted = [...cpu].sort((a, b) => a - b);
  const med = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const mean = cpu.reduce((a, x) => a + x, 0) / cpu.length;
  console.log(`CPU µs/pod: median ${med.toFixed(0)}, mean ${mean.toFixed(0)}, ` +
    `min ${(sorted[0] ?? 0).toFixed(0)}; statuses reported ${reported}; ${loadNote()}`);
}

await main();
