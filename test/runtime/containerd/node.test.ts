/**
 * startContainerdNode (root only): the seeds' nginx:1.25 pod runs on containerd from the locally
 * built image and serves its welcome page on the pod IP; a restart of the node's runtime keeps
 * the pod and imports nothing again.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectCri } from '../../../src/kubelet/cri/client.js';
import { ContainerState } from '../../../src/kubelet/cri/types.js';
import type { ManagedContainerd } from '../../../src/runtime/containerd/daemon.js';
import { startContainerdNode } from '../../../src/runtime/containerd/node.js';
import { removeConformanceCgroups } from '../conformance/cgroups.js';
import {
  conformancePodPrefix,
  containerConfig,
  eventually,
  sandboxConfig,
  waitForState,
} from '../conformance/fixtures.js';

const NGINX = 'docker.io/library/nginx:1.25';

/** httpGet fetches url once (bounded): status and body. */
function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d.slice(0, 100_000)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

describe('containerd node runtime', function () {
  this.timeout(180_000);
  let dir = '';
  const nodes: ManagedContainerd[] = [];

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    dir = await mkdtemp(join(tmpdir(), 'k8ts-ctrd-node-'));
  });
  after(async () => {
    for (const mc of nodes.reverse()) await mc.purge().catch(() => undefined);
    if (dir !== '') await rm(dir, { recursive: true, force: true });
    await removeConformanceCgroups();
  });

  const start = async (lines: string[]) => {
    const mc = await startContainerdNode({
      node: 'ctrd-node', stateDir: join(dir, 'ctrd'), podCidr: '100.64.243.0/24',
      imageCacheDir: join(dir, 'images'), log: (l) => lines.push(l),
    });
    nodes.push(mc);
    return mc;
  };

  it('runs nginx:1.25 from the local image; a restart keeps it and imports nothing', async () => {
    const firstLog: string[] = [];
    const mc = await start(firstLog);
    assert.ok(firstLog.some((l) => l.startsWith('imported docker.io/library/nginx:1.25')),
      firstLog.join('\n'));
    const cri = connectCri(mc.socketPath, { deadlineMs: 30_000 });
    try {
      const logs = join(dir, 'logs');
      await mkdir(join(logs, 'nginx'), { recursive: true });
      const config = sandboxConfig('nginx', `${conformancePodPrefix()}node`, logs, {});
      const podSandboxId = (await cri.runPodSandbox({ config, runtimeHandler: '' })).podSandboxId;
      const ip = (await cri.podSandboxStatus({ podSandboxId, verbose: false })).status?.network?.ip;
      const web = containerConfig('nginx', NGINX, { command: [] });
      const { containerId } = await cri.createContainer({ podSandboxId, config: web,
        sandboxConfig: config });
      await cri.startContainer({ containerId });
      await waitForState(cri, containerId, ContainerState.CONTAINER_RUNNING);
      const page = await eventually(() => httpGet(`http://${ip}/`));
      assert.equal(page.status, 200);
      assert.match(page.body, /Welcome to nginx!/);
      await mc.stop({ removePods: false });
      const secondLog: string[] = [];
      await start(secondLog);
      assert.deepEqual(secondLog.filter((l) => l.startsWith('imported')), []);
      assert.equal((await eventually(() => httpGet(`http://${ip}/`))).status, 200);
    } finally {
      cri.close();
    }
  });
});
