/**
 * Many pod workers on the simulated runtime (what a hollow kubelet runs): every pod comes up
 * Running and Ready, deletions remove every sandbox and container, and a pod whose containers
 * were stopped behind the worker's back is restarted. In-process, so it is fast enough to run
 * a hundred pods.
 */
import assert from 'node:assert/strict';
import { createActor, toPromise, type Actor } from 'xstate';
import type { Pod, PodStatus } from '../../../src/api/core/v1/pod-types.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { podWorkerMachine } from '../../../src/kubelet/pod/actor.js';
import type { PodWorkerDeps, PreparedPod } from '../../../src/kubelet/pod/types.js';
import { SimulatedRuntime } from '../../../src/runtime/simulated/runtime.js';
import { eventually, FAST, makeTestPod } from './harness.js';

const PODS = 100;

/** prepared: nothing to resolve on a hollow node. */
async function prepare(pod: Pod): Promise<PreparedPod> {
  return {
    containers: Object.fromEntries((pod.spec?.containers ?? []).map((c) => [c.name,
      { env: [], mounts: [] }])),
    dnsConfig: { servers: [], searches: [], options: [] },
    hostname: pod.metadata.name ?? '',
    logDirectory: '/nonexistent',
  };
}

describe('pod workers on the simulated runtime', function () {
  this.timeout(30_000);
  const statuses = new Map<string, PodStatus>();
  const cri = new SimulatedRuntime({ podCidr: '100.64.7.0/24', wallMs: systemWallMs });
  const deps: PodWorkerDeps = {
    cri, clock: systemClock, wallMs: systemWallMs, node: { name: 'hollow-1', ip: '127.0.2.9' },
    prepare,
    reportStatus: (pod, s) => void statuses.set(pod.metadata.uid ?? '', s),
  };
  const actors: Actor<typeof podWorkerMachine>[] = [];
  after(() => actors.forEach((a) => a.stop()));

  it(`${PODS} pods come up Running and Ready, and are removed on deletion`, async () => {
    const pods = Array.from({ length: PODS }, (_, i) => makeTestPod(`hollow-${i}`, {
      containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9',
        readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } }],
    }));
    for (const pod of pods) {
      const a = createActor(podWorkerMachine, {
        input: { pod, deps, tuning: FAST, runtimeName: 'simulated' },
      });
      actors.push(a);
      a.start();
    }
    await eventually(() => {
      for (const pod of pods) {
        const s = statuses.get(pod.metadata.uid ?? '');
        assert.equal(s?.phase, 'Running', pod.metadata.name);
        assert.equal(s?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
        assert.match(s?.podIP ?? '', /^100\.64\.7\.\d+$/);
      }
    });
    const ips = new Set(pods.map((p) => statuses.get(p.metadata.uid ?? '')?.podIP));
    assert.equal(ips.size, PODS, 'every pod has its own IP');
    for (const a of actors) a.send({ type: 'POD_DELETED', gracePeriodSeconds: 30 });
    const outs = await Promise.all(actors.map((a) => toPromise(a)));
    assert.ok(outs.every((o) => o.deleted && o.finalStatus.phase === 'Succeeded'));
    assert.deepEqual((await cri.listPodSandbox({})).items, []);
    assert.deepEqual((await cri.listContainers({})).containers, []);
  });

  it('a container stopped behind the worker\'s back is restarted', async () => {
    const pod = makeTestPod('restarted', { containers: [{ name: 'app', image: 'pause' }] });
    const a = createActor(podWorkerMachine, {
      input: { pod, deps, tuning: FAST, runtimeName: 'simulated' },
    });
    actors.push(a);
    a.start();
    const uid = pod.metadata.uid ?? '';
    await eventually(() => assert.equal(statuses.get(uid)?.phase, 'Running'));
    const [first] = (await cri.listContainers({})).containers;
    assert.ok(first);
    await cri.stopContainer({ containerId: first.id, timeout: 0n });
    await eventually(() => {
      const st = statuses.get(uid)?.containerStatuses?.[0];
      assert.equal(st?.restartCount, 1);
      assert.ok(st?.state?.running);
      assert.equal(st?.lastState?.terminated?.exitCode, 137);
    });
    a.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(a);
  });
});
