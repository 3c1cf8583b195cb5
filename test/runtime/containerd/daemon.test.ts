/**
 * ManagedContainerd on this host (root only): pods reachable from the host on the node's bridge
 * without the host becoming a router, a restarted instance re-adopting running pods (a crashed
 * runtime process must not kill its node's pods), and stop leaving nothing behind.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectCri, type CriClient } from '../../../src/kubelet/cri/client.js';
import { ContainerState, PodSandboxState } from '../../../src/kubelet/cri/types.js';
import { ManagedContainerd } from '../../../src/runtime/containerd/daemon.js';
import { linkExists } from '../../../src/runtime/host-network.js';
import { shimPidsOf } from '../../../src/runtime/containerd/leftovers.js';
import { mountPoints } from '../../../src/runtime/mounts.js';
import { buildImage } from '../../../src/runtime/images/build.js';
import { PAUSE_IMAGE_REF } from '../../../src/runtime/images/index.js';
import { removeConformanceCgroups } from '../conformance/cgroups.js';
import {
  conformancePodPrefix,
  containerConfig,
  eventually,
  sandboxConfig,
  waitForState,
} from '../conformance/fixtures.js';

const BUSYBOX = 'docker.io/library/busybox:1.36';
const POD_CIDR = '100.64.242.0/24';
const NODE = 'ctrd-life';
const ipForward = () => readFile('/proc/sys/net/ipv4/ip_forward', 'utf8');

/** httpStatus GETs url once (bounded) and resolves with the status code. */
function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

describe('ManagedContainerd', function () {
  this.timeout(120_000);
  let dir = '';
  let archives: string[] = [];
  const started: ManagedContainerd[] = [];
  const clients: CriClient[] = [];
  let forwardBefore = '';

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    dir = await mkdtemp(join(tmpdir(), 'k8ts-ctrd-life-'));
    const cache = join(dir, 'images');
    archives = [(await buildImage(PAUSE_IMAGE_REF, cache)).archivePath,
      (await buildImage(BUSYBOX, cache)).archivePath];
    forwardBefore = await ipForward();
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const mc of started.reverse()) await mc.purge().catch(() => undefined);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
    await removeConformanceCgroups();
  });

  const start = async () => {
    const mc = await ManagedContainerd.start({
      node: NODE, stateDir: join(dir, 'ctrd'), podCidr: POD_CIDR,
      sandboxImage: PAUSE_IMAGE_REF, imageArchives: archives,
    });
    started.push(mc);
    const cri = connectCri(mc.socketPath, { deadlineMs: 30_000 });
    clients.push(cri);
    return { mc, cri };
  };
  let podIp = '';
  let sandboxId = '';
  let containerId = '';

  it('runs a pod the host reaches on the node bridge, leaving ip_forward alone', async () => {
    const { cri } = await start();
    const pause = await cri.imageStatus({ image: { image: PAUSE_IMAGE_REF, annotations: {},
      userSpecifiedImage: '', runtimeHandler: '', imageRef: '' }, verbose: false });
    assert.ok(pause.image, 'the sandbox image was imported');
    const logs = join(dir, 'logs');
    await mkdir(join(logs, 'web'), { recursive: true });
    const config = sandboxConfig('web', `${conformancePodPrefix()}life`, logs, {});
    sandboxId = (await cri.runPodSandbox({ config, runtimeHandler: '' })).podSandboxId;
    const st = await cri.podSandboxStatus({ podSandboxId: sandboxId, verbose: false });
    podIp = st.status?.network?.ip ?? '';
    assert.match(podIp, /^100\.64\.242\.\d+$/);
    const web = containerConfig('web', BUSYBOX, {
      command: ['httpd', '-f', '-p', '8080', '-h', '/etc'],
    });
    containerId = (await cri.createContainer({ podSandboxId: sandboxId, config: web,
      sandboxConfig: config })).containerId;
    await cri.startContainer({ containerId });
    await waitForState(cri, containerId, ContainerState.CONTAINER_RUNNING);
    assert.equal(await eventually(() => httpStatus(`http://${podIp}:8080/passwd`)), 200);
    assert.equal(await ipForward(), forwardBefore, 'ip_forward changed');
  });

  it('a new instance on the same state dir takes over and re-adopts the running pod', async () => {
    assert.ok(sandboxId, 'needs the pod of the previous test');
    const first = started[0];
    const { cri } = await start();
    assert.notEqual(await first?.exited, undefined, 'the orphaned containerd exited');
    const sb = await cri.podSandboxStatus({ podSandboxId: sandboxId, verbose: false });
    assert.equal(PodSandboxState[sb.status?.state ?? -1], 'SANDBOX_READY');
    await waitForState(cri, containerId, ContainerState.CONTAINER_RUNNING);
    assert.equal(await httpStatus(`http://${podIp}:8080/passwd`), 200);
    await first?.stop();
    await waitForState(cri, containerId, ContainerState.CONTAINER_RUNNING);
    assert.equal(await httpStatus(`http://${podIp}:8080/passwd`), 200, 'old instance kept off');
  });

  it('stop removes pods, shims, the bridge and every mount of the node', async () => {
    const mc = started[started.length - 1];
    assert.ok(mc, 'needs the instance of the previous test');
    await mc.stop();
    assert.deepEqual(await shimPidsOf(mc.socketPath), []);
    assert.equal(await linkExists(mc.network.bridge), false, 'bridge still there');
    assert.deepEqual(await mountPoints(mc.paths.dir), []);
    assert.equal(await ipForward(), forwardBefore);
    await assert.rejects(httpStatus(`http://${podIp}:8080/passwd`));
  });
});
