/**
 * The relister wakes only the workers whose pod's listed instances differ from what their
 * last sync saw, and lists nothing while the node runs no worker; a new worker starts empty
 * (no listing of its own) only when the last listing began after every earlier worker of its
 * pod and showed nothing of it.
 */
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/base/clock.js';
import {
  ContainerState, PodSandboxState, type Container, type PodSandbox,
} from '../../../src/kubelet/cri/types.js';
import { LABEL_POD_UID } from '../../../src/kubelet/pod/cri-config.js';
import { Relister } from '../../../src/kubelet/pleg/relister.js';
import { inst, observed, sandbox } from '../pod/fixtures.js';

function fakeCri(items: { sandboxes: PodSandbox[]; containers: Container[] }) {
  let lists = 0;
  return {
    lists: () => lists,
    cri: {
      listPodSandbox: async () => { lists++; return { items: items.sandboxes }; },
      listContainers: async () => ({ containers: items.containers }),
    },
  };
}

function listedSandbox(id: string, uid: string): PodSandbox {
  return { id, state: PodSandboxState.SANDBOX_READY, labels: { [LABEL_POD_UID]: uid },
    createdAt: 0n, annotations: {}, runtimeHandler: '' } as PodSandbox;
}

function listedContainer(id: string, uid: string, state: ContainerState): Container {
  return { id, podSandboxId: 'sb1', state, labels: { [LABEL_POD_UID]: uid },
    createdAt: 0n, annotations: {}, image: undefined, imageRef: '' } as unknown as Container;
}

describe('kubelet relister (PLEG)', () => {
  it('wakes a worker only when its pod changed since its last sync', async () => {
    const items = { sandboxes: [listedSandbox('sb1', 'u1')],
      containers: [listedContainer('c1', 'u1', ContainerState.CONTAINER_RUNNING)] };
    const { cri } = fakeCri(items);
    const woken: string[] = [];
    const r = new Relister({ cri, clock: systemClock, periodMs: 1000, log: () => {},
      workers: () => ['u1', 'u2'], wake: (uid) => woken.push(uid) });
    r.seen('u1', observed([sandbox({ id: 'sb1', ready: true })],
      [inst({ name: 'c' }, { id: 'c1', state: 'running' })]));
    await r.relist();
    assert.deepEqual(woken, [], 'unchanged, and u2 has not synced yet');
    items.containers = [listedContainer('c1', 'u1', ContainerState.CONTAINER_EXITED)];
    await r.relist();
    assert.deepEqual(woken, ['u1']);
    await r.relist();
    assert.deepEqual(woken, ['u1', 'u1'], 'again until the worker has looked');
    r.seen('u1', observed([sandbox({ id: 'sb1', ready: true })],
      [inst({ name: 'c' }, { id: 'c1', state: 'exited' })]));
    await r.relist();
    assert.deepEqual(woken, ['u1', 'u1']);
  });

  it('lists nothing while no worker runs', async () => {
    const f = fakeCri({ sandboxes: [], containers: [] });
    const r = new Relister({ cri: f.cri, clock: systemClock, periodMs: 1000, log: () => {},
      workers: () => [], wake: () => {} });
    await r.relist();
    assert.equal(f.lists(), 0);
  });

  it('lets a new worker start empty only when the last listing showed nothing of its pod',
    async () => {
      const items = { sandboxes: [listedSandbox('sb1', 'u1')], containers: [] as Container[] };
      const f = fakeCri(items);
      let live: string[] = [];
      const r = new Relister({ cri: f.cri, clock: systemClock, periodMs: 1000, log: () => {},
        workers: () => live, wake: () => {} });
      assert.equal(r.startsEmpty('u0'), false, 'nothing listed yet');
      await r.relist(true);
      assert.equal(f.lists(), 1, 'listed at start although no worker runs');
      assert.equal(r.startsEmpty('u1'), false, 'u1 has a sandbox');
      assert.equal(r.startsEmpty('u2'), true);
      live = ['u2'];
      assert.equal(r.startsEmpty('u2'), false, 'a worker of u2 began since the listing');
      await r.relist();
      assert.equal(r.startsEmpty('u2'), false, 'its worker still runs');
      live = [];
      r.forget('u2');
      assert.equal(r.startsEmpty('u2'), false, 'its worker ended after the last listing');
      await r.relist(true);
      assert.equal(r.startsEmpty('u2'), true, 'listed after its worker ended: nothing left');
    });

  it('does not let a worker start empty when its pod had a worker during the listing',
    async () => {
      let release: (() => void) | undefined;
      const cri = {
        listPodSandbox: async () => {
          await new Promise<void>((resolve) => { release = resolve; });
          return { items: [] };
        },
        listContainers: async () => ({ containers: [] }),
      };
      const r = new Relister({ cri, clock: systemClock, periodMs: 1000, log: () => {},
        workers: () => [], wake: () => {} });
      const listing = r.relist(true);
      r.forget('u3'); // a worker of u3 ended while the runtime was being listed
      release?.();
      await listing;
      assert.equal(r.startsEmpty('u3'), false);
      assert.equal(r.startsEmpty('u4'), true);
    });
});
