/**
 * The pod worker actor running real pods on the real process runtime (over its CRI socket):
 * a pod comes up Running and Ready, init containers run in order, a crashing container goes
 * CrashLoopBackOff with a growing restartCount, exit codes reach the status, a failing liveness
 * probe restarts its container, an HTTP readiness probe flips Ready, and a deletion runs
 * preStop, then SIGTERM, and removes everything. Back-offs are shrunk (harness FAST).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toPromise } from 'xstate';
import type { ContainerStatus, Pod, PodStatus } from '../../../src/api/core/v1/pod-types.js';
import { eventually, makeTestPod, startHarness, type Harness } from './harness.js';

const BUSYBOX = 'busybox:1.36';

/** statusOf finds a container status by name in the latest reported status. */
function statusOf(h: Harness, pod: Pod, name: string, init = false): ContainerStatus {
  const s: PodStatus = h.latest(pod);
  const list = init ? s.initContainerStatuses : s.containerStatuses;
  const found = list?.find((c) => c.name === name);
  assert.ok(found, `no status for ${name}`);
  return found;
}

/** condition reads a condition's status from the latest reported status. */
function condition(h: Harness, pod: Pod, type: string): string | undefined {
  return h.latest(pod).conditions?.find((c) => c.type === type)?.status;
}

/** eventsOf lists the events recorded about pod. */
function eventsOf(h: Harness, pod: Pod) {
  return h.events.filter((e) => e.uid === pod.metadata.uid);
}

describe('pod worker on the process runtime', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness('127.78.1.0/24');
  });
  after(async () => {
    await h?.close();
  });

  it('runs a pod: Running, Ready, pod and host IPs, containerID with runtime name', async () => {
    const pod = makeTestPod('sleeper', {
      containers: [{ name: 'app', image: BUSYBOX, command: ['sleep', '3600'] }],
    });
    const actor = h.start(pod);
    await eventually(() => {
      assert.equal(h.latest(pod).phase, 'Running');
      assert.equal(condition(h, pod, 'Ready'), 'True');
    });
    const s = h.latest(pod);
    assert.match(s.podIP ?? '', /^127\.78\.1\.\d+$/);
    assert.equal(s.hostIP, '127.0.0.1');
    assert.ok(s.startTime);
    const app = statusOf(h, pod, 'app');
    assert.match(app.containerID ?? '', /^k8ts-process:\/\/.+/);
    assert.ok(app.state?.running?.startedAt);
    assert.equal(app.restartCount, 0);
    assert.equal(app.started, true);
    assert.deepEqual(eventsOf(h, pod).filter((e) => e.reason === 'Started').map((e) => e.message),
      ['Started container app']);
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    const out = await toPromise(actor);
    assert.equal(out.deleted, true);
  });

  it('runs init containers in order, each to success, before the containers', async () => {
    const file = join(h.dir, 'order.txt');
    const step = (n: number) => ({
      name: `init${n}`, image: BUSYBOX, command: ['sh', '-c', `echo ${n} >> ${file}`],
    });
    const pod = makeTestPod('inits', {
      initContainers: [step(1), step(2)],
      containers: [{
        name: 'app', image: BUSYBOX, command: ['sh', '-c', `echo 3 >> ${file}; sleep 3600`],
      }],
    });
    const actor = h.start(pod);
    await eventually(() => assert.equal(condition(h, pod, 'Ready'), 'True'));
    assert.equal(await readFile(file, 'utf8'), '1\n2\n3\n');
    assert.equal(condition(h, pod, 'Initialized'), 'True');
    for (const name of ['init1', 'init2']) {
      const t = statusOf(h, pod, name, true).state?.terminated;
      assert.equal(t?.exitCode, 0);
      assert.equal(t?.reason, 'Completed');
      assert.equal(statusOf(h, pod, name, true).ready, true, 'a completed init container');
    }
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(actor);
  });

  it('a crashing container goes CrashLoopBackOff with restartCount growing', async () => {
    const pod = makeTestPod('crasher', {
      containers: [{ name: 'app', image: BUSYBOX, command: ['sh', '-c', 'exit 3'] }],
    });
    const actor = h.start(pod);
    await eventually(() => {
      const app = statusOf(h, pod, 'app');
      assert.ok(app.restartCount >= 2, `restartCount ${app.restartCount}`);
      assert.equal(app.state?.waiting?.reason, 'CrashLoopBackOff');
      assert.match(app.state?.waiting?.message ?? '',
        /^back-off \d+ms restarting failed container=app/);
      assert.equal(app.lastState?.terminated?.exitCode, 3);
      assert.equal(app.lastState?.terminated?.reason, 'Error');
    });
    assert.equal(h.latest(pod).phase, 'Running', 'restartPolicy Always: Running while restarting');
    assert.equal(condition(h, pod, 'Ready'), 'False');
    assert.ok(eventsOf(h, pod).some((e) => e.reason === 'BackOff' && e.type === 'Warning' &&
      e.message === `Back-off restarting failed container app in pod crasher_default(${
        pod.metadata.uid})`));
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(actor);
  });

  it('restartPolicy Never: exit codes decide the phase, and nothing restarts', async () => {
    const pod = makeTestPod('job', {
      restartPolicy: 'Never',
      containers: [
        { name: 'ok', image: BUSYBOX, command: ['sh', '-c', 'exit 0'] },
        { name: 'bad', image: BUSYBOX, command: ['sh', '-c', 'sleep 0.3; exit 2'] },
      ],
    });
    const actor = h.start(pod);
    await eventually(() => assert.equal(h.latest(pod).phase, 'Failed'));
    assert.equal(statusOf(h, pod, 'ok').state?.terminated?.reason, 'Completed');
    assert.equal(statusOf(h, pod, 'bad').state?.terminated?.exitCode, 2);
    assert.equal(statusOf(h, pod, 'bad').restartCount, 0);
    assert.equal(actor.getSnapshot().value && JSON.stringify(actor.getSnapshot().value),
      JSON.stringify('finished'));
    actor.send({ type: 'POD_DELETED' });
    const out = await toPromise(actor);
    assert.equal(out.finalStatus.phase, 'Failed');
  });

  it('a failing liveness exec probe restarts the container', async () => {
    const pod = makeTestPod('unhealthy', {
      containers: [{
        name: 'app', image: BUSYBOX, command: ['sleep', '3600'],
        livenessProbe: { exec: { command: ['sh', '-c', 'exit 1'] }, periodSeconds: 1,
          failureThreshold: 1 },
      }],
    });
    const actor = h.start(pod);
    await eventually(() => assert.ok(statusOf(h, pod, 'app').restartCount >= 1));
    assert.ok(eventsOf(h, pod).some((e) => e.reason === 'Killing' &&
      e.message === 'Container app failed liveness probe, will be restarted'));
    assert.ok(eventsOf(h, pod).some((e) => e.reason === 'Unhealthy' && e.type === 'Warning' &&
      e.message.startsWith('Liveness probe failed:')));
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(actor);
  });

  it('an HTTP readiness probe flips Ready when the server starts answering 200', async () => {
    const www = join(h.dir, 'www');
    await mkdir(www, { recursive: true });
    const pod = makeTestPod('web', {
      containers: [{
        name: 'web', image: BUSYBOX,
        command: ['sh', '-c', `exec httpd -f -p $POD_IP:8080 -h ${www}`],
        env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/index.html', port: 'http' }, periodSeconds: 1 },
      }],
    });
    const actor = h.start(pod);
    await eventually(() => {
      assert.equal(h.latest(pod).phase, 'Running');
      assert.ok(eventsOf(h, pod).some((e) => e.reason === 'Unhealthy' &&
        e.message.includes('HTTP probe failed with statuscode: 404')));
    });
    assert.equal(condition(h, pod, 'Ready'), 'False');
    assert.equal(statusOf(h, pod, 'web').ready, false);
    await writeFile(join(www, 'index.html'), 'hello\n');
    await eventually(() => assert.equal(condition(h, pod, 'Ready'), 'True'));
    assert.equal(statusOf(h, pod, 'web').ready, true);
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(actor);
  });

  it('an image that cannot be pulled: ErrImagePull, then ImagePullBackOff', async () => {
    const pod = makeTestPod('nopull', {
      containers: [{ name: 'web', image: 'nginx:1.25' }],
    });
    const actor = h.start(pod);
    const reasons = () => (h.statuses.get(pod.metadata.uid ?? '') ?? [])
      .map((s) => s.containerStatuses?.[0]?.state?.waiting?.reason);
    await eventually(() => {
      assert.ok(reasons().includes('ErrImagePull'), String(reasons()));
      assert.ok(reasons().includes('ImagePullBackOff'), String(reasons()));
    });
    const pulled = h.statuses.get(pod.metadata.uid ?? '')?.find((s) =>
      s.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull');
    assert.match(pulled?.containerStatuses?.[0]?.state?.waiting?.message ?? '',
      /^Failed to pull image "nginx:1.25": /);
    assert.ok(eventsOf(h, pod).some((e) => e.reason === 'BackOff' &&
      e.message === 'Back-off pulling image "nginx:1.25"'));
    assert.equal(h.latest(pod).phase, 'Pending');
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(actor);
  });

  it('a changed container spec (new image) restarts the container', async () => {
    const pod = makeTestPod('updated', {
      containers: [{ name: 'app', image: BUSYBOX, command: ['sleep', '3600'] }],
    });
    const actor = h.start(pod);
    await eventually(() => assert.equal(condition(h, pod, 'Ready'), 'True'));
    const firstId = statusOf(h, pod, 'app').containerID;
    actor.send({ type: 'POD_UPDATED', pod: { ...pod, spec: { containers: [
      { name: 'app', image: 'busybox:1.37', command: ['sleep', '3600'] }] } } });
    await eventually(() => {
      const app = statusOf(h, pod, 'app');
      assert.equal(app.restartCount, 1);
      assert.notEqual(app.containerID, firstId);
      assert.ok(app.state?.running);
    });
    assert.ok(eventsOf(h, pod).some((e) => e.reason === 'Killing' &&
      e.message === 'Container app definition changed, will be restarted'));
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(actor);
  });

  it('a startup probe holds started and Ready until it succeeds', async () => {
    const flag = join(h.dir, 'started.flag');
    const pod = makeTestPod('slowstart', {
      containers: [{
        name: 'app', image: BUSYBOX, command: ['sleep', '3600'],
        startupProbe: { exec: { command: ['test', '-f', flag] }, periodSeconds: 1,
          failureThreshold: 60 },
      }],
    });
    const actor = h.start(pod);
    await eventually(() => assert.ok(statusOf(h, pod, 'app').state?.running));
    assert.equal(statusOf(h, pod, 'app').started, false);
    assert.equal(condition(h, pod, 'Ready'), 'False');
    await writeFile(flag, '');
    await eventually(() => {
      assert.equal(statusOf(h, pod, 'app').started, true);
      assert.equal(condition(h, pod, 'Ready'), 'True');
    });
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(actor);
  });

  it('a new worker for a running pod (kubelet restart) adopts its containers', async () => {
    const pod = makeTestPod('adopted', {
      containers: [{ name: 'app', image: BUSYBOX, command: ['sleep', '3600'] }],
    });
    const first = h.start(pod);
    await eventually(() => assert.equal(condition(h, pod, 'Ready'), 'True'));
    const before = statusOf(h, pod, 'app');
    first.stop();
    const second = h.start({ ...pod, status: h.latest(pod) });
    const reportsBefore = h.statuses.get(pod.metadata.uid ?? '')?.length ?? 0;
    await eventually(() => {
      assert.ok((h.statuses.get(pod.metadata.uid ?? '')?.length ?? 0) > reportsBefore);
      assert.equal(condition(h, pod, 'Ready'), 'True');
    });
    const after = statusOf(h, pod, 'app');
    assert.equal(after.containerID, before.containerID, 'the same container, not a new one');
    assert.equal(after.restartCount, 0);
    second.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(second);
  });

  it('graceful delete: preStop, then SIGTERM, then everything removed', async () => {
    const file = join(h.dir, 'shutdown.txt');
    const pod = makeTestPod('graceful', {
      terminationGracePeriodSeconds: 10,
      containers: [{
        name: 'app', image: BUSYBOX,
        command: ['sh', '-c', `trap 'echo term >> ${file}; exit 0' TERM; ` +
          'while true; do sleep 0.1; done'],
        lifecycle: { preStop: { exec: { command: ['sh', '-c', `echo prestop >> ${file}`] } } },
      }],
    });
    const actor = h.start(pod);
    await eventually(() => assert.equal(condition(h, pod, 'Ready'), 'True'));
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 10 });
    const out = await toPromise(actor);
    assert.equal(await readFile(file, 'utf8'), 'prestop\nterm\n');
    assert.equal(out.deleted, true);
    assert.equal(out.finalStatus.phase, 'Succeeded', 'exit 0 on SIGTERM');
    assert.equal(out.finalStatus.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    const uid = pod.metadata.uid ?? '';
    const left = await h.cri.listPodSandbox({
      filter: { id: '', labelSelector: { 'io.kubernetes.pod.uid': uid } },
    });
    assert.deepEqual(left.items, []);
  });

  it('a container that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const pod = makeTestPod('stubborn', {
      containers: [{
        name: 'app', image: BUSYBOX,
        command: ['sh', '-c', "trap '' TERM; while true; do sleep 0.1; done"],
      }],
    });
    const actor = h.start(pod);
    await eventually(() => assert.equal(condition(h, pod, 'Ready'), 'True'));
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 2 });
    const out = await toPromise(actor);
    const t = out.finalStatus.containerStatuses?.[0]?.state?.terminated;
    assert.equal(t?.exitCode, 137);
    assert.equal(out.finalStatus.phase, 'Failed');
  });

  it('a second deletion with a shorter grace period shortens the stop under way', async () => {
    const pod = makeTestPod('forced', {
      containers: [{
        name: 'app', image: BUSYBOX,
        command: ['sh', '-c', "trap '' TERM; while true; do sleep 0.1; done"],
      }],
    });
    const actor = h.start(pod);
    await eventually(() => assert.equal(condition(h, pod, 'Ready'), 'True'));
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 600 });
    await eventually(() => assert.ok(eventsOf(h, pod).some((e) => e.reason === 'Killing'),
      JSON.stringify([actor.getSnapshot().value, eventsOf(h, pod)])));
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    // Far below the first grace period: only the shortened stop can end it this soon.
    const out = await Promise.race([
      toPromise(actor),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('still stopping after 20 s')), 20_000)),
    ]);
    assert.equal(out.finalStatus.containerStatuses?.[0]?.state?.terminated?.exitCode, 137);
  });

  it('activeDeadlineSeconds: the pod is killed and fails with DeadlineExceeded', async () => {
    const pod = makeTestPod('deadline', {
      activeDeadlineSeconds: 1,
      containers: [{ name: 'app', image: BUSYBOX, command: ['sleep', '3600'] }],
    });
    const actor = h.start(pod);
    await eventually(() => {
      const s = h.latest(pod);
      assert.equal(s.phase, 'Failed');
      assert.equal(s.reason, 'DeadlineExceeded');
      assert.equal(s.message, 'Pod was active on the node longer than the specified deadline');
      assert.ok(s.containerStatuses?.[0]?.state?.terminated);
    });
    assert.ok(eventsOf(h, pod).some((e) => e.reason === 'DeadlineExceeded'));
    actor.send({ type: 'POD_DELETED' });
    const out = await toPromise(actor);
    assert.equal(out.finalStatus.reason, 'DeadlineExceeded');
  });

  it('a command that cannot start: the runtime error, then CrashLoopBackOff', async () => {
    const pod = makeTestPod('nostart', {
      containers: [{ name: 'app', image: BUSYBOX, command: ['/nonexistent/k8ts-binary'] }],
    });
    const actor = h.start(pod);
    const waits = () => (h.statuses.get(pod.metadata.uid ?? '') ?? [])
      .map((s) => s.containerStatuses?.[0]?.state?.waiting)
      .filter((w) => w !== undefined);
    await eventually(() => {
      const reasons = waits().map((w) => w.reason);
      assert.ok(reasons.some((r) => r === 'RunContainerError' || r === 'CreateContainerError'),
        String(reasons));
      assert.ok(reasons.includes('CrashLoopBackOff'), String(reasons));
    });
    const failed = waits().find((w) => w.reason !== 'CrashLoopBackOff' &&
      w.reason !== 'ContainerCreating');
    assert.match(failed?.message ?? '', /k8ts-binary/);
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(actor);
  });

  it('prepare() failing (no ConfigMap): CreateContainerConfigError until it works', async () => {
    const pod = makeTestPod('config', {
      containers: [{ name: 'app', image: BUSYBOX, command: ['sleep', '3600'] }],
    });
    const uid = pod.metadata.uid ?? '';
    h.prepareErrors.set(uid, 'configmap "settings" not found');
    const actor = h.start(pod);
    await eventually(() => assert.deepEqual(statusOf(h, pod, 'app').state?.waiting, {
      reason: 'CreateContainerConfigError', message: 'configmap "settings" not found',
    }));
    h.prepareErrors.delete(uid);
    await eventually(() => assert.equal(condition(h, pod, 'Ready'), 'True'));
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(actor);
  });

  it('FallbackToLogsOnError: a failed container\'s log tail becomes its message', async () => {
    const pod = makeTestPod('fallback', {
      restartPolicy: 'Never',
      containers: [{
        name: 'app', image: BUSYBOX, terminationMessagePolicy: 'FallbackToLogsOnError',
        command: ['sh', '-c', 'echo starting; echo boom >&2; exit 1'],
      }],
    });
    const actor = h.start(pod);
    await eventually(() => assert.equal(h.latest(pod).phase, 'Failed'));
    const t = statusOf(h, pod, 'app').state?.terminated;
    assert.equal(t?.message, 'starting\nboom\n');
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(actor);
  });
});
