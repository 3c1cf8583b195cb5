/**
 * The pure pod status (generatePodStatus, podPhase, buildContainerStatus): phases per
 * restartPolicy, waiting reasons, lastState after a crash, conditions and their transition
 * times, IPs — what `kubectl get pods` and `kubectl describe` show on a real cluster.
 */
import assert from 'node:assert/strict';
import type { Container, Pod } from '../../../src/api/core/v1/pod-types.js';
import type { ObservedPod } from '../../../src/kubelet/pod/observed.js';
import {
  generatePodStatus,
  statusChanged,
  type PodStatusInput,
} from '../../../src/kubelet/status/pod-status.js';
import { inst, makePod, observed, sandbox, T0 } from '../pod/fixtures.js';

const app: Container = { name: 'app', image: 'busybox:1' };
const side: Container = { name: 'side', image: 'busybox:1' };
const init1: Container = { name: 'init1', image: 'busybox:1' };

/** input fills a PodStatusInput. */
function input(pod: Pod, obs: ObservedPod, o: Partial<PodStatusInput> = {}): PodStatusInput {
  return {
    pod, observed: obs, nowMs: T0 + 5000, waiting: {}, probes: { ready: {}, started: {} },
    nodeIp: '127.0.2.1', runtimeName: 'containerd', terminal: false, ...o,
  };
}

describe('pod status: phase', () => {
  const cases: [string, Pod, ObservedPod, boolean, string][] = [
    ['no sandbox yet: Pending', makePod({}), observed([]), false, 'Pending'],
    ['created container: Pending', makePod({}),
      observed([sandbox()], [inst(app, { state: 'created' })]), false, 'Pending'],
    ['running: Running', makePod({}), observed([sandbox()], [inst(app, { state: 'running' })]),
      false, 'Running'],
    ['one running, one waiting: Pending', makePod({ containers: [app, side] }),
      observed([sandbox()], [inst(app, { state: 'running' })]), false, 'Pending'],
    ['Always, all exited: Running (restarting)', makePod({}),
      observed([sandbox()], [inst(app, { state: 'exited', exitCode: 1 })]), false, 'Running'],
    ['OnFailure, exited 0: Succeeded', makePod({ restartPolicy: 'OnFailure' }),
      observed([sandbox()], [inst(app, { state: 'exited' })]), false, 'Succeeded'],
    ['OnFailure, exited 1: Running (restarting)', makePod({ restartPolicy: 'OnFailure' }),
      observed([sandbox()], [inst(app, { state: 'exited', exitCode: 1 })]), false, 'Running'],
    ['Never, exited 1: Failed', makePod({ restartPolicy: 'Never' }),
      observed([sandbox()], [inst(app, { state: 'exited', exitCode: 1 })]), false, 'Failed'],
    ['Never, one exited 0 one running: Running', makePod({ containers: [app, side],
      restartPolicy: 'Never' }), observed([sandbox()], [inst(app, { state: 'exited' }),
      inst(side, { state: 'running' })]), false, 'Running'],
    ['init running: Pending', makePod({ init: [init1] }),
      observed([sandbox()], [inst(init1, { state: 'running' })]), false, 'Pending'],
    ['init failed under Never: Failed', makePod({ init: [init1], restartPolicy: 'Never' }),
      observed([sandbox()], [inst(init1, { state: 'exited', exitCode: 1 })]), false, 'Failed'],
    ['init failed under Always: Pending', makePod({ init: [init1] }),
      observed([sandbox()], [inst(init1, { state: 'exited', exitCode: 1 })]), false, 'Pending'],
    ['terminal, killed with 137: Failed', makePod({}),
      observed([sandbox()], [inst(app, { state: 'exited', exitCode: 137 })]), true, 'Failed'],
    ['terminal, all exited 0: Succeeded', makePod({}),
      observed([sandbox()], [inst(app, { state: 'exited' })]), true, 'Succeeded'],
  ];
  for (const [name, pod, obs, terminal, phase] of cases) {
    it(name, () => assert.equal(generatePodStatus(input(pod, obs, { terminal })).phase, phase));
  }

  it('a terminal phase never goes back', () => {
    const pod = { ...makePod({}), status: { phase: 'Succeeded' as const } };
    const obs = observed([sandbox()], [inst(app, { state: 'running' })]);
    const s = generatePodStatus(input(pod, obs));
    assert.equal(s.phase, 'Succeeded');
  });
});

describe('pod status: container statuses', () => {
  it('waiting reasons: ContainerCreating, PodInitializing, and the worker\'s reasons', () => {
    const s1 = generatePodStatus(input(makePod({}), observed([])));
    assert.deepEqual(s1.containerStatuses?.[0]?.state,
      { waiting: { reason: 'ContainerCreating' } });
    const s2 = generatePodStatus(input(makePod({ init: [init1] }), observed([sandbox()])));
    assert.deepEqual(s2.initContainerStatuses?.[0]?.state,
      { waiting: { reason: 'PodInitializing' } });
    assert.deepEqual(s2.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
    const waiting = { app: { reason: 'ErrImagePull', message: 'Failed to pull image "x": no' } };
    const s3 = generatePodStatus(input(makePod({}), observed([sandbox()]), { waiting }));
    assert.deepEqual(s3.containerStatuses?.[0]?.state, { waiting: waiting.app });
  });

  it('a running container: startedAt, containerID, image, imageID, ready, started', () => {
    const running = inst(app, { state: 'running', startedAtMs: T0 + 1500, attempt: 2 });
    const s = generatePodStatus(input(makePod({}), observed([sandbox()], [running])));
    assert.deepEqual(s.containerStatuses?.[0], {
      name: 'app',
      state: { running: { startedAt: '2023-11-14T22:13:21Z' } },
      lastState: {},
      ready: true,
      restartCount: 2,
      image: 'busybox:1',
      imageID: 'sha256:abc',
      started: true,
      containerID: `containerd://${running.id}`,
    });
  });

  it('a crash loop: waiting CrashLoopBackOff with the exit as lastState', () => {
    const crashed = inst(app, { state: 'exited', exitCode: 3, attempt: 4 });
    const waiting = { app: { reason: 'CrashLoopBackOff', message: 'back-off 40s ...' } };
    const st = generatePodStatus(input(makePod({}), observed([sandbox()], [crashed]), { waiting }))
      .containerStatuses?.[0];
    assert.deepEqual(st?.state, { waiting: waiting.app });
    assert.equal(st?.lastState?.terminated?.exitCode, 3);
    assert.equal(st?.lastState?.terminated?.reason, 'Error');
    assert.equal(st?.restartCount, 4);
    assert.equal(st?.ready, false);
  });

  it('a restarted container shows its previous exit as lastState; runtime reasons win', () => {
    const old = inst(app, { state: 'exited', exitCode: 137, reason: 'OOMKilled', attempt: 0 });
    const now = inst(app, { state: 'running', attempt: 1 });
    const st = generatePodStatus(input(makePod({}), observed([sandbox()], [old, now])))
      .containerStatuses?.[0];
    assert.ok(st?.state?.running);
    assert.equal(st?.lastState?.terminated?.reason, 'OOMKilled');
    assert.equal(st?.lastState?.terminated?.exitCode, 137);
  });

  it('probes: readiness gates ready, startup gates started and ready', () => {
    const probed = { ...app, readinessProbe: { exec: { command: ['true'] } },
      startupProbe: { exec: { command: ['true'] } } };
    const running = inst(probed, { state: 'running' });
    const pod = makePod({ containers: [probed] });
    const obs = observed([sandbox()], [running]);
    const none = generatePodStatus(input(pod, obs)).containerStatuses?.[0];
    assert.deepEqual([none?.started, none?.ready], [false, false]);
    const started = generatePodStatus(input(pod, obs, {
      probes: { ready: { [running.id]: true }, started: {} } })).containerStatuses?.[0];
    assert.deepEqual([started?.started, started?.ready], [false, false]);
    const both = generatePodStatus(input(pod, obs, {
      probes: { ready: { [running.id]: true }, started: { [running.id]: true } } }));
    assert.deepEqual([both.containerStatuses?.[0]?.started, both.containerStatuses?.[0]?.ready],
      [true, true]);
  });
});

describe('pod status: conditions, IPs, times', () => {
  const typesAndStatus = (s: ReturnType<typeof generatePodStatus>) =>
    Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c.status]));

  it('a ready pod has all five conditions True', () => {
    const obs = observed([sandbox()], [inst(app, { state: 'running' })]);
    const s = generatePodStatus(input(makePod({}), obs));
    assert.deepEqual(typesAndStatus(s), {
      PodReadyToStartContainers: 'True', Initialized: 'True', Ready: 'True',
      ContainersReady: 'True', PodScheduled: 'True',
    });
    assert.equal(s.podIP, '127.0.3.1');
    assert.deepEqual(s.podIPs, [{ ip: '127.0.3.1' }]);
    assert.deepEqual(s.hostIPs, [{ ip: '127.0.2.1' }]);
  });

  it('unready containers are listed in the Ready condition message', () => {
    const s = generatePodStatus(input(makePod({ containers: [app, side] }),
      observed([sandbox()], [inst(app, { state: 'running' })])));
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    assert.deepEqual([ready?.status, ready?.reason, ready?.message],
      ['False', 'ContainersNotReady', 'containers with unready status: [side]']);
  });

  it('incomplete init containers are listed in the Initialized condition', () => {
    const s = generatePodStatus(input(makePod({ init: [init1] }), observed([sandbox()])));
    const c = s.conditions?.find((x) => x.type === 'Initialized');
    assert.deepEqual([c?.status, c?.reason, c?.message],
      ['False', 'ContainersNotInitialized', 'containers with incomplete status: [init1]']);
  });

  it('readiness gates: Ready waits for the gate conditions others write', () => {
    const pod = makePod({});
    pod.spec!.readinessGates = [{ conditionType: 'example.com/lb' }];
    const obs = observed([sandbox()], [inst(app, { state: 'running' })]);
    const ready = (s: ReturnType<typeof generatePodStatus>) =>
      s.conditions?.find((c) => c.type === 'Ready');
    const missing = ready(generatePodStatus(input(pod, obs)));
    assert.deepEqual([missing?.status, missing?.reason, missing?.message], ['False',
      'ReadinessGatesNotReady',
      'corresponding condition of pod readiness gate "example.com/lb" does not exist.']);
    const falseGate = ready(generatePodStatus(input(pod, obs,
      { apiConditions: [{ type: 'example.com/lb', status: 'False' }] })));
    assert.equal(falseGate?.message,
      'the status of pod readiness gate "example.com/lb" is not "True", but False');
    const s = generatePodStatus(input(pod, obs,
      { apiConditions: [{ type: 'example.com/lb', status: 'True' }] }));
    assert.equal(ready(s)?.status, 'True');
    assert.equal(s.conditions?.find((c) => c.type === 'ContainersReady')?.status, 'True');
  });

  it('a succeeded pod: Ready False with reason PodCompleted', () => {
    const s = generatePodStatus(input(makePod({ restartPolicy: 'Never' }),
      observed([sandbox({ ready: false })], [inst(app, { state: 'exited' })])));
    assert.equal(s.phase, 'Succeeded');
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    assert.deepEqual([ready?.status, ready?.reason], ['False', 'PodCompleted']);
  });

  it('transition times and startTime carry over; an unchanged pod yields an equal status', () => {
    const pod = makePod({});
    const obs = observed([sandbox()], [inst(app, { state: 'running' })]);
    const first = generatePodStatus(input(pod, obs));
    const again = generatePodStatus(input({ ...pod, status: first }, obs, { nowMs: T0 + 60_000 }));
    assert.equal(statusChanged(first, again), false);
    const stopped = generatePodStatus(input({ ...pod, status: first },
      observed([sandbox()], [inst(app, { state: 'exited', exitCode: 1 })]),
      { nowMs: T0 + 60_000 }));
    assert.equal(statusChanged(first, stopped), true);
    assert.equal(stopped.startTime, first.startTime);
    const ready = stopped.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.lastTransitionTime, '2023-11-14T22:14:20Z');
    const scheduled = stopped.conditions?.find((c) => c.type === 'PodScheduled');
    assert.equal(scheduled?.lastTransitionTime, first.conditions?.find((c) =>
      c.type === 'PodScheduled')?.lastTransitionTime);
  });
});
