/**
 * tracedCri stamps each CRI call under the pod it is for: by the pod metadata a request carries,
 * else by the sandbox or container id an earlier answer named; calls for no pod go under the
 * node's key; removed ids are forgotten and the ids remembered are bounded.
 */
import assert from 'node:assert/strict';
import {
  CRI_IMAGE_METHODS, CRI_RUNTIME_METHODS, type CriRuntime,
} from '../../../src/kubelet/cri/types.js';
import { IDS_MAX, NODE_KEY, tracedCri } from '../../../src/kubelet/cri/traced.js';

/** A runtime whose every method answers at once: a new sandbox or container id, else {}. */
function fakeRuntime() {
  let n = 0;
  const calls: string[] = [];
  const rt: Record<string, unknown> = { closed: false, close() { this.closed = true; } };
  for (const name of [...CRI_RUNTIME_METHODS, ...CRI_IMAGE_METHODS]) {
    rt[name] = async () => {
      calls.push(name);
      if (name === 'runPodSandbox') return { podSandboxId: `sb${++n}` };
      if (name === 'createContainer') return { containerId: `c${++n}` };
      return {};
    };
  }
  return { rt: rt as unknown as CriRuntime & { close(): void; closed: boolean }, calls };
}

const META = { name: 'web-1', namespace: 'bench', uid: 'u1', attempt: 0 };

describe('kubelet tracedCri', () => {
  it('stamps a pod start call by call under the pod, the rest under the node', async () => {
    const { rt, calls } = fakeRuntime();
    const stamps: string[] = [];
    const cri = tracedCri(rt, (stage, key) => stamps.push(`${stage} ${key}`));
    const { podSandboxId } = await cri.runPodSandbox({ config: { metadata: META } } as never);
    await cri.podSandboxStatus({ podSandboxId, verbose: false });
    await cri.imageStatus({ image: undefined, verbose: false });
    const { containerId } = await cri.createContainer(
      { podSandboxId, config: { metadata: { name: 'c', attempt: 0 } },
        sandboxConfig: { metadata: META } } as never);
    await cri.startContainer({ containerId });
    await cri.containerStatus({ containerId, verbose: false });
    await cri.listContainers({ filter: undefined });
    assert.deepEqual(stamps, [
      'kl.cri.runPodSandbox bench/web-1', 'kl.cri.podSandboxStatus bench/web-1',
      `kl.cri.imageStatus ${NODE_KEY}`, 'kl.cri.createContainer bench/web-1',
      'kl.cri.startContainer bench/web-1', 'kl.cri.containerStatus bench/web-1',
      `kl.cri.listContainers ${NODE_KEY}`,
    ]);
    assert.equal(calls.length, 7, 'every call reaches the runtime');
    cri.close();
    assert.equal(rt.closed, true, 'close() is the wrapped client\'s');
  });

  it('forgets removed ids and remembers at most IDS_MAX', async () => {
    const { rt } = fakeRuntime();
    const stamps: string[] = [];
    const cri = tracedCri(rt, (stage, key) => stamps.push(`${stage} ${key}`));
    const { podSandboxId } = await cri.runPodSandbox({ config: { metadata: META } } as never);
    await cri.removePodSandbox({ podSandboxId });
    await cri.podSandboxStatus({ podSandboxId, verbose: false });
    assert.equal(stamps.at(-1), `kl.cri.podSandboxStatus ${NODE_KEY}`);
    const first = await cri.runPodSandbox({ config: { metadata: META } } as never);
    for (let i = 0; i < IDS_MAX; i++) {
      await cri.runPodSandbox({ config: { metadata: { ...META, name: `p${i}` } } } as never);
    }
    await cri.podSandboxStatus({ podSandboxId: first.podSandboxId, verbose: false });
    assert.equal(stamps.at(-1), `kl.cri.podSandboxStatus ${NODE_KEY}`, 'the oldest id went');
  });
});
