/**
 * The kubelet's pod worker (src/kubelet/pod) driving the runc runtime over its CRI socket, as a
 * runc node runs pods: the seeds' nginx pod (image nginx:1.25, port 80, HTTP readiness) comes up
 * Running and Ready on an address of the node's range and serves its welcome page; a container
 * over its memory limit is OOMKilled (exit 137) in the pod status; deleting a pod removes its
 * sandbox. Root only; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createActor, toPromise, type Actor } from 'xstate';
import type { Pod, PodStatus } from '../../../src/api/core/v1/pod-types.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { podWorkerMachine } from '../../../src/kubelet/pod/actor.js';
import type { PodWorkerDeps, PreparedPod } from '../../../src/kubelet/pod/types.js';
import { eventually, FAST, makeTestPod } from '../../kubelet/pod/harness.js';
import { BUSYBOX, isRoot, NGINX, type RuncTestEnv, startRuncTestEnv } from './harness.js';

const run = promisify(execFile);

/** This file's pod range and bridge; no other test uses them. */
const POD_CIDR = '100.64.234.0/24';
const BRIDGE = 'k8ts-runc-kubl';

/** Worker is one pod worker and the statuses it reported. */
interface Worker {
  actor: Actor<typeof podWorkerMachine>;
  statuses: PodStatus[];
}

/** startWorker runs a pod worker for pod against the runtime's socket client. */
function startWorker(env: RuncTestEnv, pod: Pod): Worker {
  const statuses: PodStatus[] = [];
  const prepare = async (p: Pod): Promise<PreparedPod> => ({
    containers: Object.fromEntries((p.spec?.containers ?? []).map((c) => [c.name,
      { env: [], mounts: [] }])),
    dnsConfig: { servers: ['100.64.0.10'], searches: ['default.svc.cluster.local'], options: [] },
    hostname: p.metadata.name ?? 'pod',
    logDirectory: join(env.dir, 'pod-logs', p.metadata.uid ?? 'x'),
  });
  const deps: PodWorkerDeps = {
    cri: env.cri, clock: systemClock, wallMs: systemWallMs,
    node: { name: 'runc-node', ip: '127.0.0.1' }, prepare,
    reportStatus: (_p, status) => void statuses.push(status),
    events: { event: () => undefined },
  };
  const actor = createActor(podWorkerMachine, {
    input: { pod, deps, tuning: FAST, runtimeName: 'k8ts-runc' },
  });
  actor.start();
  return { actor, statuses };
}

/** latest is the newest reported status. */
function latest(w: Worker): PodStatus {
  const s = w.statuses.at(-1);
  assert.ok(s, 'no status reported yet');
  return s;
}

if (!isRoot) {
  describe('pod worker on the runc runtime', () => {
    it('needs root (netns, overlayfs, runc, bridges)', function () {
      this.skip();
    });
  });
} else {
  describe('pod worker on the runc runtime', function () {
    this.timeout(60_000);
    let env: RuncTestEnv;
    const workers: Worker[] = [];

    before(async function () {
      this.timeout(180_000);
      env = await startRuncTestEnv(POD_CIDR, BRIDGE, [BUSYBOX, NGINX]);
    });
    after(async function () {
      for (const w of workers) w.actor.stop();
      await env?.cleanup();
    });

    it('runs the nginx pod Ready on a pod IP and removes it on deletion', async () => {
      const pod = makeTestPod('nginx-pod', {
        containers: [{
          name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }],
          readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 },
        }],
      });
      const w = startWorker(env, pod);
      workers.push(w);
      await eventually(() => {
        assert.equal(latest(w).phase, 'Running');
        assert.equal(latest(w).conditions?.find((c) => c.type === 'Ready')?.status, 'True');
      }, 30_000);
      const ip = latest(w).podIP ?? '';
      assert.match(ip, /^100\.64\.234\.\d+$/);
      assert.match(latest(w).containerStatuses?.[0]?.containerID ?? '', /^k8ts-runc:\/\//);
      const { stdout } = await run('curl', ['-sS', '--max-time', '2', `http://${ip}/`]);
      assert.match(stdout, /Welcome to nginx!/);
      w.actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 5 });
      await toPromise(w.actor);
      assert.deepEqual((await env.cri.listPodSandbox({})).items, []);
    });

    it('reports OOMKilled (137) for a container past its memory limit', async () => {
      const pod = makeTestPod('hog', {
        restartPolicy: 'Never',
        containers: [{
          name: 'hog', image: 'busybox:1.36', command: ['sh', '-c', 'exec tail /dev/zero'],
          resources: { limits: { memory: '32Mi' } },
        }],
      });
      const w = startWorker(env, pod);
      workers.push(w);
      const terminated = await eventually(() => {
        const t = latest(w).containerStatuses?.[0]?.state?.terminated;
        assert.ok(t, 'not terminated yet');
        return t;
      }, 30_000);
      assert.equal(terminated.exitCode, 137);
      assert.equal(terminated.reason, 'OOMKilled');
      w.actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
      await toPromise(w.actor);
    });
  });
}
