/**
 * The pod worker's plan (computePodActions): each case is a situation the kubelet meets and
 * the actions upstream's kubelet takes in it.
 */
import assert from 'node:assert/strict';
import type { Container } from '../../../src/api/core/v1/pod-types.js';
import { computePodActions, type PodActions } from '../../../src/kubelet/pod/plan.js';
import { inst, makePod, observed, planInput, sandbox, T0, TUNING } from './fixtures.js';

const app: Container = { name: 'app', image: 'busybox:1' };
const side: Container = { name: 'log', image: 'busybox:1' };
const init1: Container = { name: 'init1', image: 'busybox:1' };
const init2: Container = { name: 'init2', image: 'busybox:1' };

/** summary keeps the fields a case asserts. */
function summary(a: PodActions) {
  return {
    killPod: a.killPod,
    createSandbox: a.createSandbox?.attempt,
    startInit: a.startInit,
    start: a.start,
    kill: a.kill.map((k) => `${k.name}:${k.reason}`),
    waiting: Object.fromEntries(Object.entries(a.waiting).map(([k, v]) => [k, v.reason])),
    podDone: a.podDone,
  };
}

const nothing = { killPod: false, createSandbox: undefined, startInit: undefined, start: [],
  kill: [], waiting: {}, podDone: false };

describe('pod plan: sandbox', () => {
  const cases: { name: string; input: ReturnType<typeof planInput>; want: object }[] = [
    {
      name: 'a new pod gets sandbox attempt 0 and all containers',
      input: planInput(makePod({ containers: [app, side] }), observed([])),
      want: { ...nothing, createSandbox: 0, start: ['app', 'log'] },
    },
    {
      name: 'a new pod with init containers starts only the first init container',
      input: planInput(makePod({ init: [init1, init2] }), observed([])),
      want: { ...nothing, createSandbox: 0, startInit: 'init1' },
    },
    {
      name: 'a dead sandbox is replaced (attempt + 1) after killing the pod',
      input: planInput(makePod({}), observed([sandbox({ ready: false })],
        [inst(app, { state: 'exited', exitCode: 137 })])),
      want: { ...nothing, killPod: true, createSandbox: 1, start: ['app'] },
    },
    {
      name: 'restartPolicy Never: a dead sandbox after containers ran ends the pod',
      input: planInput(makePod({ restartPolicy: 'Never' }), observed([sandbox({ ready: false })],
        [inst(app, { state: 'exited', exitCode: 1 })])),
      want: { ...nothing, killPod: true, podDone: true },
    },
    {
      name: 'restartPolicy OnFailure: succeeded containers are not started in a new sandbox',
      input: planInput(makePod({ containers: [app, side], restartPolicy: 'OnFailure' }),
        observed([sandbox({ ready: false })], [
          inst(app, { state: 'exited', exitCode: 0 }),
          inst(side, { state: 'exited', exitCode: 2 }),
        ])),
      want: { ...nothing, killPod: true, createSandbox: 1, start: ['log'] },
    },
    {
      name: 'two ready sandboxes: kill both, create a third',
      input: planInput(makePod({}), observed([sandbox(), sandbox({ id: 'sb1', attempt: 1 })])),
      want: { ...nothing, killPod: true, createSandbox: 2, start: ['app'] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(summary(computePodActions(c.input)), c.want));
  }
});

describe('pod plan: init containers', () => {
  const pod = makePod({ init: [init1, init2] });
  type Case = { name: string; obs: ReturnType<typeof observed>; policy?: 'Never'; want: object };
  const cases: Case[] = [
    {
      name: 'the first init container is started in a ready sandbox without containers',
      obs: observed([sandbox()]),
      want: { ...nothing, startInit: 'init1' },
    },
    {
      name: 'while an init container runs nothing else starts',
      obs: observed([sandbox()], [inst(init1, { state: 'running' })]),
      want: nothing,
    },
    {
      name: 'after init1 succeeded init2 starts',
      obs: observed([sandbox()], [inst(init1, { state: 'exited', exitCode: 0 })]),
      want: { ...nothing, startInit: 'init2' },
    },
    {
      name: 'after all init containers succeeded the regular containers start',
      obs: observed([sandbox()], [
        inst(init1, { state: 'exited' }),
        inst(init2, { state: 'exited' }),
      ]),
      want: { ...nothing, start: ['app'] },
    },
    {
      name: 'a failed init container is restarted (restartPolicy Always)',
      obs: observed([sandbox()], [inst(init1, { state: 'exited', exitCode: 3 })]),
      want: { ...nothing, startInit: 'init1' },
    },
    {
      name: 'a failed init container fails the pod under restartPolicy Never',
      obs: observed([sandbox()], [inst(init1, { state: 'exited', exitCode: 3 })]),
      policy: 'Never',
      want: { ...nothing, killPod: true, podDone: true },
    },
    {
      name: 'a running regular container means initialization is done',
      obs: observed([sandbox()], [inst(app, { state: 'running' })]),
      want: nothing,
    },
    {
      name: 'init containers of an old sandbox do not count in a new one',
      obs: observed([sandbox({ id: 'sb0', ready: false }), sandbox({ id: 'sb1', attempt: 1 })], [
        inst(init1, { state: 'exited', sandboxId: 'sb0' }),
        inst(init2, { state: 'exited', sandboxId: 'sb0' }),
      ]),
      want: { ...nothing, startInit: 'init1' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = c.policy === undefined
        ? pod
        : makePod({ init: [init1, init2], restartPolicy: c.policy });
      assert.deepEqual(summary(computePodActions(planInput(p, c.obs))), c.want);
    });
  }

  it('a sidecar (init restartPolicy Always) counts as done once running and is kept', () => {
    const sidecar: Container = { name: 'proxy', image: 'busybox:1', restartPolicy: 'Always' };
    const p = makePod({ init: [sidecar, init1] });
    const running = inst(sidecar, { state: 'running' });
    assert.deepEqual(summary(computePodActions(planInput(p, observed([sandbox()], [running])))),
      { ...nothing, startInit: 'init1' });
    const later = observed([sandbox()], [running, inst(init1, { state: 'exited' })]);
    assert.deepEqual(summary(computePodActions(planInput(p, later))),
      { ...nothing, start: ['app'] });
    const crashed = observed([sandbox()], [
      inst(sidecar, { state: 'exited', exitCode: 0 }),
      inst(init1, { state: 'exited' }),
      inst(app, { state: 'running' }),
    ]);
    assert.deepEqual(summary(computePodActions(planInput(p, crashed))),
      { ...nothing, start: ['proxy'] }, 'a sidecar restarts even after exit code 0');
  });
});

describe('pod plan: restart policy and kills', () => {
  const exited = (code: number) => inst(app, { state: 'exited', exitCode: code });
  const table: [string, 'Always' | 'OnFailure' | 'Never', number, object][] = [
    ['Always restarts exit 0', 'Always', 0, { ...nothing, start: ['app'] }],
    ['Always restarts exit 1', 'Always', 1, { ...nothing, start: ['app'] }],
    ['OnFailure restarts exit 1', 'OnFailure', 1, { ...nothing, start: ['app'] }],
    ['OnFailure finishes on exit 0', 'OnFailure', 0, { ...nothing, killPod: true, podDone: true }],
    ['Never finishes on exit 1', 'Never', 1, { ...nothing, killPod: true, podDone: true }],
    ['Never finishes on exit 0', 'Never', 0, { ...nothing, killPod: true, podDone: true }],
  ];
  for (const [name, policy, code, want] of table) {
    it(name, () => {
      const input = planInput(makePod({ restartPolicy: policy }),
        observed([sandbox()], [exited(code)]));
      assert.deepEqual(summary(computePodActions(input)), want);
    });
  }

  it('a pod keeps running while one container runs and another finished (Never)', () => {
    const p = makePod({ containers: [app, side], restartPolicy: 'Never' });
    const obs = observed([sandbox()],
      [inst(app, { state: 'exited' }), inst(side, { state: 'running' })]);
    assert.deepEqual(summary(computePodActions(planInput(p, obs))), nothing);
  });

  it('liveness failure kills with upstream text; the restart is left to the next sync', () => {
    const running = inst(app, { state: 'running' });
    const a = computePodActions(planInput(makePod({}), observed([sandbox()], [running]),
      { probeKills: { [running.id]: 'liveness' } }));
    assert.deepEqual(summary(a), { ...nothing, kill: ['app:liveness'] });
    assert.equal(a.kill[0]?.message, 'Container app failed liveness probe, will be restarted');
    assert.equal(a.wakeAtMs, T0 + 2000, 'sync again at once');
  });

  it('startup failure under Never kills without restart and ends the pod', () => {
    const running = inst(app, { state: 'running' });
    const a = computePodActions(planInput(makePod({ restartPolicy: 'Never' }),
      observed([sandbox()], [running]), { probeKills: { [running.id]: 'startup' } }));
    assert.equal(a.kill[0]?.message, 'Container app failed startup probe');
    assert.equal(a.killPod, true);
  });

  it('past activeDeadlineSeconds the pod is killed and done', () => {
    const running = inst(app, { state: 'running' });
    const a = computePodActions(planInput(makePod({}), observed([sandbox()], [running]),
      { deadlineExceeded: true }));
    assert.deepEqual(summary(a), { ...nothing, killPod: true, podDone: true });
  });

  it('a changed spec (new image) kills the container', () => {
    const running = inst(app, { state: 'running' });
    const pod = makePod({ containers: [{ ...app, image: 'busybox:2' }] });
    const a = computePodActions(planInput(pod, observed([sandbox()], [running])));
    assert.deepEqual(a.kill.map((k) => k.message),
      ['Container app definition changed, will be restarted']);
  });

  it('an instance in unknown state is killed before anything starts', () => {
    const lost = inst(app, { state: 'unknown' });
    const a = computePodActions(planInput(makePod({}), observed([sandbox()], [lost])));
    assert.deepEqual(summary(a), { ...nothing, kill: ['app:unknownState'] });
  });
});

describe('pod plan: CrashLoopBackOff and ImagePullBackOff', () => {
  const crashedAt = T0 + 1000;
  const crashed = () => inst(app, { state: 'exited', exitCode: 1, finishedAtMs: crashedAt });

  it('the first crash restarts at once and arms the base delay', () => {
    const a = computePodActions(planInput(makePod({}), observed([sandbox()], [crashed()])));
    assert.deepEqual(a.start, ['app']);
    assert.deepEqual(a.crashBackoff.app, { delayMs: 10_000, lastUpdateMs: T0 + 2000 });
  });

  it('the next crash waits out the delay with CrashLoopBackOff, then doubles it', () => {
    const backoff = { app: { delayMs: 10_000, lastUpdateMs: T0 } };
    const held = computePodActions(planInput(makePod({}), observed([sandbox()], [crashed()]),
      { crashBackoff: backoff, nowMs: crashedAt + 5_000 }));
    assert.deepEqual(held.start, []);
    assert.deepEqual(held.waiting.app, {
      reason: 'CrashLoopBackOff',
      message: 'back-off 10s restarting failed container=app pod=web_default(uid-1)',
    });
    assert.equal(held.wakeAtMs, crashedAt + 10_000);
    const later = computePodActions(planInput(makePod({}), observed([sandbox()], [crashed()]),
      { crashBackoff: backoff, nowMs: crashedAt + 10_000 }));
    assert.deepEqual(later.start, ['app']);
    assert.equal(later.crashBackoff.app?.delayMs, 20_000);
  });

  it('the delay is capped at max', () => {
    const backoff = { app: { delayMs: 300_000, lastUpdateMs: T0 } };
    const a = computePodActions(planInput(makePod({}), observed([sandbox()], [crashed()]),
      { crashBackoff: backoff, nowMs: crashedAt + 300_000 }));
    assert.equal(a.crashBackoff.app?.delayMs, TUNING.backoffMaxMs);
  });

  it('a container that ran for backoffResetMs starts over at the base delay', () => {
    const longRun = inst(app, { state: 'exited', exitCode: 1, startedAtMs: T0,
      finishedAtMs: T0 + 700_000 });
    const a = computePodActions(planInput(makePod({}), observed([sandbox()], [longRun]),
      { crashBackoff: { app: { delayMs: 160_000, lastUpdateMs: T0 + 100 } },
        nowMs: T0 + 700_001 }));
    assert.deepEqual(a.start, ['app']);
    assert.equal(a.crashBackoff.app?.delayMs, 10_000);
  });

  it('an init container restart backs off too', () => {
    const failed = inst(init1, { state: 'exited', exitCode: 1, finishedAtMs: crashedAt });
    const a = computePodActions(planInput(makePod({ init: [init1] }),
      observed([sandbox()], [failed]),
      { crashBackoff: { init1: { delayMs: 10_000, lastUpdateMs: T0 } }, nowMs: crashedAt + 1 }));
    assert.equal(a.startInit, undefined);
    assert.equal(a.waiting.init1?.reason, 'CrashLoopBackOff');
  });

  it('an image that failed to pull waits with ImagePullBackOff until its back-off ends', () => {
    const pullFailures = {
      'busybox:1': { atMs: T0, entry: { delayMs: 10_000, lastUpdateMs: T0 }, message: 'nope' },
    };
    const held = computePodActions(planInput(makePod({}), observed([sandbox()]),
      { pullFailures, nowMs: T0 + 3_000 }));
    assert.deepEqual(held.waiting.app, {
      reason: 'ImagePullBackOff', message: 'Back-off pulling image "busybox:1"',
    });
    assert.equal(held.wakeAtMs, T0 + 10_000);
    const retry = computePodActions(planInput(makePod({}), observed([sandbox()]),
      { pullFailures, nowMs: T0 + 10_000 }));
    assert.deepEqual(retry.start, ['app']);
  });
});
