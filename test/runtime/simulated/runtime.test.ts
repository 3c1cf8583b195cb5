import assert from 'node:assert/strict';
import * as cri from '../../../src/gen/cri/runtime/v1/api.js';
import { isCriNotFound } from '../../../src/kubelet/cri/types.js';
import { SimulatedRuntime } from '../../../src/runtime/simulated/runtime.js';

const sandboxConfig = (name: string, labels: Record<string, string> = {}): cri.RunPodSandboxRequest => ({
  config: {
    metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 }, hostname: name,
    logDirectory: `/var/log/pods/${name}`, portMappings: [], labels, annotations: {},
  },
  runtimeHandler: '',
});

describe('simulated runtime (hollow nodes)', () => {
  it('runs a pod through its whole life without processes', async () => {
    const rt = new SimulatedRuntime({ podCidr: '127.64.9.0/24', wallMs: () => 1_700_000_000_000 });
    const { podSandboxId } = await rt.runPodSandbox(sandboxConfig('web', { app: 'web' }));
    const sb = await rt.podSandboxStatus({ podSandboxId, verbose: false });
    assert.equal(sb.status?.state, cri.PodSandboxState.SANDBOX_READY);
    assert.match(sb.status?.network?.ip ?? '', /^127\.64\.9\.\d+$/);
    const { containerId } = await rt.createContainer({
      podSandboxId,
      config: {
        metadata: { name: 'c', attempt: 0 }, image: { image: 'nginx', annotations: {}, userSpecifiedImage: '', runtimeHandler: '' } as unknown as cri.ImageSpec,
        command: [], args: [], workingDir: '', envs: [], mounts: [], devices: [], labels: { app: 'web' },
        annotations: {}, logPath: 'c/0.log', stdin: false, stdinOnce: false, tty: false,
      },
      sandboxConfig: sandboxConfig('web').config,
    });
    await assert.rejects(rt.execSync({ containerId, cmd: ['true'], timeout: 0n }), /not running/);
    await rt.startContainer({ containerId });
    const running = await rt.containerStatus({ containerId, verbose: false });
    assert.equal(running.status?.state, cri.ContainerState.CONTAINER_RUNNING);
    assert.equal(running.status?.logPath, '/var/log/pods/web/c/0.log');
    assert.equal((await rt.execSync({ containerId, cmd: ['true'], timeout: 0n })).exitCode, 0);
    const listed = await rt.listContainers({
      filter: { id: '', podSandboxId, labelSelector: { app: 'web' }, state: { state: cri.ContainerState.CONTAINER_RUNNING } },
    });
    assert.deepEqual(listed.containers.map((c) => c.id), [containerId]);
    await rt.stopContainer({ containerId, timeout: 30n });
    const exited = await rt.containerStatus({ containerId, verbose: false });
    assert.equal(exited.status?.state, cri.ContainerState.CONTAINER_EXITED);
    assert.equal(exited.status?.exitCode, 0);
    await rt.stopPodSandbox({ podSandboxId });
    await rt.removePodSandbox({ podSandboxId });
    await rt.removePodSandbox({ podSandboxId }); // idempotent, as containerd
    await assert.rejects(rt.containerStatus({ containerId, verbose: false }), (e) => isCriNotFound(e));
  });

  it('never hands out an address twice while it is in use, and reuses released ones', async () => {
    const rt = new SimulatedRuntime({ podCidr: '127.64.9.0/29', wallMs: () => 0 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await rt.runPodSandbox(sandboxConfig(`p${i}`))).podSandboxId);
    const ips = await Promise.all(ids.map(async (id) => (await rt.podSandboxStatus({ podSandboxId: id, verbose: false })).status?.network?.ip));
    assert.equal(new Set(ips).size, 5);
    assert.ok(!ips.includes('127.64.9.0') && !ips.includes('127.64.9.1') && !ips.includes('127.64.9.7'));
    await assert.rejects(rt.runPodSandbox(sandboxConfig('full')), /no free address/);
    await rt.removePodSandbox({ podSandboxId: ids[0]! });
    await rt.runPodSandbox(sandboxConfig('again'));
  });
});
