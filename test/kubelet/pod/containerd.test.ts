/**
 * The pod worker against Debian's containerd (managed by k8ts, images built locally and
 * imported — never pulled): the worker's CRI use is wire-compatible with the real runtime. A
 * busybox pod runs Ready on a pod IP, a crashing container's restarts and exit code reach the
 * status, and a deletion runs preStop before SIGTERM. Root only; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor, toPromise, type Actor } from 'xstate';
import type { Pod, PodStatus } from '../../../src/api/core/v1/pod-types.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { connectCri, type CriClient } from '../../../src/kubelet/cri/client.js';
import { podWorkerMachine } from '../../../src/kubelet/pod/actor.js';
import type { PodWorkerDeps, PreparedPod } from '../../../src/kubelet/pod/types.js';
import { ManagedContainerd } from '../../../src/runtime/containerd/daemon.js';
import { buildImage } from '../../../src/runtime/images/build.js';
import { PAUSE_IMAGE_REF } from '../../../src/runtime/images/index.js';
import { eventually, FAST, makeTestPod } from './harness.js';

const BUSYBOX = 'docker.io/library/busybox:1.36';
/** This file's pod range and node (bridge k8ts-ctrd-podw); no other test uses them. */
const POD_CIDR = '100.64.247.0/24';
const NODE = 'ctrd-podw';
const isRoot = process.getuid?.() === 0;

describe('pod worker on containerd', function () {
  this.timeout(120_000);
  let dir = '';
  let mc: ManagedContainerd | undefined;
  let cri: CriClient | undefined;
  const statuses = new Map<string, PodStatus>();
  const actors: Actor<typeof podWorkerMachine>[] = [];

  before(async function () {
    if (!isRoot) this.skip();
    dir = await mkdtemp(join(tmpdir(), 'k8ts-ctrd-podw-'));
    const cacheDir = join(dir, 'images');
    const pause = await buildImage(PAUSE_IMAGE_REF, cacheDir);
    const busybox = await buildImage(BUSYBOX, cacheDir);
    mc = await ManagedContainerd.start({
      node: NODE, stateDir: join(dir, 'ctrd'), podCidr: POD_CIDR,
      sandboxImage: PAUSE_IMAGE_REF, imageArchives: [pause.archivePath, busybox.archivePath],
    });
    cri = connectCri(mc.socketPath, { deadlineMs: 30_000 });
  });
  after(async () => {
    for (const a of actors) a.stop();
    cri?.close();
    try {
      await mc?.purge();
    } finally {
      if (dir !== '') await rm(dir, { recursive: true, force: true });
    }
  });

  /** start runs a worker for pod against containerd. */
  function start(pod: Pod): Actor<typeof podWorkerMachine> {
    assert.ok(cri);
    const prepare = async (p: Pod): Promise<PreparedPod> => ({
      containers: Object.fromEntries((p.spec?.containers ?? []).map((c) => [c.name,
        { env: [], mounts: [] }])),
      dnsConfig: { servers: ['100.64.0.10'], searches: ['default.svc.cluster.local'],
        options: [] },
      hostname: p.metadata.name ?? 'pod',
      logDirectory: join(dir, 'pod-logs', p.metadata.uid ?? 'x'),
    });
    const deps: PodWorkerDeps = {
      cri, clock: systemClock, wallMs: systemWallMs, node: { name: NODE, ip: '127.0.0.1' },
      prepare, reportStatus: (p, s) => void statuses.set(p.metadata.uid ?? '', s),
    };
    const actor = createActor(podWorkerMachine, {
      input: { pod, deps, tuning: FAST, runtimeName: 'containerd' },
    });
    actors.push(actor);
    actor.start();
    return actor;
  }

  /** latest is pod's newest status. */
  const latest = (pod: Pod): PodStatus => {
    const s = statuses.get(pod.metadata.uid ?? '');
    assert.ok(s, 'no status yet');
    return s;
  };

  it('runs a busybox pod Ready on a pod IP; a preStop hook runs before SIGTERM', async () => {
    const pod = makeTestPod('ctrd-web', {
      terminationGracePeriodSeconds: 10,
      containers: [{
        name: 'app', image: BUSYBOX,
        // Exit 0 on SIGTERM only when preStop left its mark first.
        command: ['sh', '-c', "trap '[ -f /tmp/prestop ] && exit 0 || exit 9' TERM; " +
          'while true; do sleep 0.1; done'],
        lifecycle: { preStop: { exec: { command: ['touch', '/tmp/prestop'] } } },
      }],
    });
    const actor = start(pod);
    await eventually(() => {
      const s = latest(pod);
      assert.equal(s.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
      assert.match(s.podIP ?? '', /^100\.64\.247\.\d+$/);
      assert.match(s.containerStatuses?.[0]?.containerID ?? '', /^containerd:\/\//);
    }, 60_000);
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 10 });
    const out = await toPromise(actor);
    assert.equal(out.finalStatus.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.equal(out.finalStatus.phase, 'Succeeded');
    const left = await cri!.listPodSandbox({
      filter: { id: '', labelSelector: { 'io.kubernetes.pod.uid': pod.metadata.uid ?? '' } },
    });
    assert.deepEqual(left.items, []);
  });

  it('a crashing container: restarts counted, exit code 3 in lastState', async () => {
    const pod = makeTestPod('ctrd-crash', {
      containers: [{ name: 'app', image: BUSYBOX, command: ['sh', '-c', 'exit 3'] }],
    });
    const actor = start(pod);
    await eventually(() => {
      const st = latest(pod).containerStatuses?.[0];
      assert.ok((st?.restartCount ?? 0) >= 2, `restartCount ${st?.restartCount}`);
      assert.equal(st?.lastState?.terminated?.exitCode, 3);
    }, 60_000);
    actor.send({ type: 'POD_DELETED', gracePeriodSeconds: 0 });
    await toPromise(actor);
  });
});
