/**
 * Conformance for isolating runtimes only (runc, containerd; ConformanceEnv.isolated): what a
 * pod sees inside — its hostname, the kubelet's DNS config, hostPath mounts (read-only kept
 * read-only), one network shared by the pod's containers on the pod IP, and cgroup limits set
 * at create and changed by UpdateContainerResources.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ContainerState,
  MountPropagation,
  type LinuxContainerResources,
  type Mount,
} from '../../../src/kubelet/cri/types.js';
import type { SuiteContext } from './context.js';
import {
  CONFORMANCE_DNS_SERVER,
  SLEEP_FOREVER,
  waitForState,
  type ContainerSpec,
  type SandboxFixture,
} from './fixtures.js';

const MiB = 1024n * 1024n;

/** run executes a shell script in the container; stdout, stderr text and exit code. */
async function run(ctx: SuiteContext, containerId: string, script: string) {
  const r = await ctx.cri().execSync({ containerId, cmd: ['sh', '-c', script], timeout: 10n });
  const text = (b: Uint8Array) => Buffer.from(b).toString();
  return { out: text(r.stdout), err: text(r.stderr), code: r.exitCode };
}

/** sleeper starts a long-running container with extra spec fields in sb. */
async function sleeper(ctx: SuiteContext, sb: SandboxFixture, name: string, extra: object = {}) {
  const spec: ContainerSpec = { command: ['sh', '-c'], args: SLEEP_FOREVER, ...extra };
  const c = await ctx.tracker().startContainer(sb, name, spec);
  await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_RUNNING);
  return c;
}

function hostMount(containerPath: string, hostPath: string, readonly: boolean): Mount {
  return {
    containerPath, hostPath, readonly, selinuxRelabel: false,
    propagation: MountPropagation.PROPAGATION_PRIVATE, recursiveReadOnly: false,
  };
}

/** A cgroup value as the container sees its own cgroup (v2 file, else v1 file). */
const CGROUP_READ = (v2: string, v1: string) =>
  `if [ -f /sys/fs/cgroup/${v2} ]; then cat /sys/fs/cgroup/${v2}; ` +
  `else cat /sys/fs/cgroup/${v1}; fi`;
const MEMORY_LIMIT = CGROUP_READ('memory.max', 'memory/memory.limit_in_bytes');
const CPU_QUOTA = CGROUP_READ('cpu.max', 'cpu/cpu.cfs_quota_us');

function resources(memoryMiB: bigint, quotaUs: bigint): LinuxContainerResources {
  return {
    cpuPeriod: 100_000n, cpuQuota: quotaUs, cpuShares: 512n, memoryLimitInBytes: memoryMiB * MiB,
    oomScoreAdj: 0n, cpusetCpus: '', cpusetMems: '', hugepageLimits: [], unified: {},
    memorySwapLimitInBytes: 0n,
  };
}

/** describeIsolation registers the tests; `isolated()` says whether they apply. */
export function describeIsolation(ctx: SuiteContext, isolated: () => boolean): void {
  beforeEach(function () {
    if (!isolated()) this.skip();
  });

  it('gives the pod its hostname and the DNS config the kubelet sent', async () => {
    const sb = await ctx.tracker().runSandbox('names');
    const c = await sleeper(ctx, sb, 'main');
    assert.equal((await run(ctx, c.id, 'hostname')).out, 'names\n');
    const resolv = (await run(ctx, c.id, 'cat /etc/resolv.conf')).out;
    assert.ok(resolv.split('\n').includes(`nameserver ${CONFORMANCE_DNS_SERVER}`), resolv);
    assert.match(resolv, /^search svc\.cluster\.local$/m);
  });

  it('mounts host paths, keeping read-only ones read-only', async () => {
    const host = await mkdtemp(join(tmpdir(), 'k8ts-cri-mount-'));
    try {
      await writeFile(join(host, 'hello'), 'from the host\n');
      const sb = await ctx.tracker().runSandbox('mounts');
      const c = await sleeper(ctx, sb, 'main', {
        mounts: [hostMount('/ro', host, true), hostMount('/rw', host, false)],
      });
      assert.equal((await run(ctx, c.id, 'cat /ro/hello')).out, 'from the host\n');
      assert.notEqual((await run(ctx, c.id, 'echo x > /ro/denied')).code, 0, 'wrote to /ro');
      assert.equal((await run(ctx, c.id, 'echo written > /rw/back')).code, 0);
      assert.equal(await readFile(join(host, 'back'), 'utf8'), 'written\n');
    } finally {
      await rm(host, { recursive: true, force: true });
    }
  });

  it("puts the pod's containers on one network with the pod IP", async () => {
    const sb = await ctx.tracker().runSandbox('sharednet');
    const ip = (await ctx.cri().podSandboxStatus({ podSandboxId: sb.id, verbose: false }))
      .status?.network?.ip ?? '';
    const server = await ctx.tracker().startContainer(sb, 'server', {
      command: ['httpd', '-f', '-p', '127.0.0.1:8080', '-h', '/etc'],
    });
    await waitForState(ctx.cri(), server.id, ContainerState.CONTAINER_RUNNING);
    const client = await sleeper(ctx, sb, 'client');
    assert.match((await run(ctx, client.id, 'ip -4 -o addr show')).out, new RegExp(` ${ip}/`));
    const got = await run(ctx, client.id, 'wget -qO- http://127.0.0.1:8080/passwd');
    assert.equal(got.code, 0, got.err);
    assert.match(got.out, /^root:/m);
  });

  it('applies cgroup limits at create and on UpdateContainerResources', async () => {
    const sb = await ctx.tracker().runSandbox('limits');
    const c = await sleeper(ctx, sb, 'main', { linux: { resources: resources(64n, 50_000n) } });
    assert.equal((await run(ctx, c.id, MEMORY_LIMIT)).out.trim(), String(64n * MiB));
    assert.match((await run(ctx, c.id, CPU_QUOTA)).out, /^50000\b/);
    await ctx.cri().updateContainerResources({
      containerId: c.id, linux: resources(128n, 100_000n), annotations: {},
    });
    assert.equal((await run(ctx, c.id, MEMORY_LIMIT)).out.trim(), String(128n * MiB));
    assert.match((await run(ctx, c.id, CPU_QUOTA)).out, /^100000\b/);
  });

  it('reports a container killed at its memory limit as OOMKilled with exit code 137', async () => {
    const sb = await ctx.tracker().runSandbox('oom');
    const limit = { ...resources(32n, 0n), cpuPeriod: 0n, memorySwapLimitInBytes: 32n * MiB };
    // Doubles a string up to 512 MiB: far past the limit, yet bounded if no limit applies.
    const hog = 'x=aaaaaaaa; i=0; while [ $i -lt 26 ]; do x="$x$x"; i=$((i+1)); done';
    const c = await ctx.tracker().startContainer(sb, 'hog', {
      command: ['sh', '-c', hog],
      linux: { resources: limit },
    });
    const st = await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_EXITED);
    assert.deepEqual([st.exitCode, st.reason], [137, 'OOMKilled']);
  });
}
