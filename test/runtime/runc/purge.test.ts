/**
 * purgeRuncNode — what `k8ts down` needs after a runc node's runtime process is gone: every pod,
 * mount, namespace, veth, cgroup and the bridge and state of that node are removed, without the
 * runtime serving. Root only; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { systemClock } from '../../../src/base/clock.js';
import * as cri from '../../../src/kubelet/cri/types.js';
import { purgeRuncNode } from '../../../src/runtime/runc/start.js';
import { linkExists } from '../../../src/runtime/host-network.js';
import { BUSYBOX, isRoot, startRuncTestEnv } from './harness.js';

const run = promisify(execFile);

/** This file's pod range and bridge; no other test uses them. */
const POD_CIDR = '100.64.235.0/24';
const BRIDGE = 'k8ts-runc-purg';

if (!isRoot) {
  describe('runc runtime purge', () => {
    it('needs root (netns, overlayfs, runc, bridges)', function () {
      this.skip();
    });
  });
} else {
  describe('runc runtime purge', function () {
    this.timeout(120_000);

    it('removes a node\'s pods, mounts, links, cgroups and state without a runtime', async () => {
      const env = await startRuncTestEnv(POD_CIDR, BRIDGE, [BUSYBOX]);
      const opts = () => ({ stateDir: env.stateDir, imageDir: env.imageDir, podCidr: POD_CIDR,
        bridge: BRIDGE, clock: systemClock });
      try {
        const logDir = join(env.dir, 'logs');
        await mkdir(logDir, { recursive: true });
        const config = cri.PodSandboxConfig.fromPartial({
          metadata: { name: 'left', uid: 'uid-left', namespace: 'default' },
          logDirectory: logDir, dnsConfig: { servers: ['100.64.0.10'] },
        });
        const { podSandboxId } = await env.cri.runPodSandbox({ config, runtimeHandler: '' });
        const { containerId } = await env.cri.createContainer({ podSandboxId,
          sandboxConfig: config, config: cri.ContainerConfig.fromPartial({
            metadata: { name: 'c' }, image: { image: BUSYBOX }, command: ['sleep', '1000'],
            logPath: 'c.log' }) });
        await env.cri.startContainer({ containerId });
        env.cri.close();
        await env.handle.close(); // the runtime process is gone; its pod keeps running
        await purgeRuncNode(opts());
        assert.equal(await linkExists(BRIDGE), false);
        const mounts = await readFile('/proc/self/mountinfo', 'utf8');
        assert.ok(!mounts.includes(env.stateDir), 'no mount of the node remains');
        await assert.rejects(access(env.stateDir));
        await assert.rejects(access(`/sys/fs/cgroup/memory/k8ts/${podSandboxId}`));
        const { stdout } = await run('ps', ['-eo', 'args']);
        assert.ok(!stdout.includes(containerId), 'no conmon of the node remains');
      } finally {
        env.cri.close();
        await env.handle.close();
        if (await linkExists(BRIDGE)) await purgeRuncNode(opts()).catch(() => undefined);
        await rm(env.dir, { recursive: true, force: true });
      }
    });
  });
}
