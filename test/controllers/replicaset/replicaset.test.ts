/**
 * The ReplicaSet controller against the real in-process API server, the client kit's informers
 * and fake kubelets: exact pod counts while scaling, replacement of deleted pods, status and
 * events — what `kubectl get rs` shows.
 */
import assert from 'node:assert/strict';
import type { ReplicaSet } from '../../../src/api/apps/v1/workloads.js';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { isPodActive } from '../../../src/controllers/base/pods.js';
import { PODS, REPLICASETS } from '../../../src/controllers/base/resources.js';
import { replicaSetController } from '../../../src/controllers/replicaset/controller.js';
import {
  eventually,
  listPods,
  startControllerHarness,
  type ControllerHarness,
} from '../../support/controllers.js';

const NS = 'rs-test';

/** assertCount is assert.equal with the items' names in the message. */
function assertCount(items: KubeObject[], n: number, what: string): void {
  assert.equal(items.length, n, `${what}: ${items.map((i) => i.metadata.name).join(', ')}`);
}

function replicaSet(name: string, replicas: number): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
      },
    },
  };
}

describe('ReplicaSet controller (real API server, fake kubelets)', function () {
  this.timeout(60_000);
  let h: ControllerHarness;

  before(async function () {
    this.timeout(60_000);
    h = await startControllerHarness([replicaSetController],
      { namespaces: [NS], kubelets: ['node-1', 'node-2', 'node-3'] });
  });
  after(async () => {
    await h?.stop();
  });

  /** activePods: the RS's pods not being deleted. */
  async function activePods(app: string): Promise<Pod[]> {
    return (await listPods(h.api, NS, `app=${app}`)).filter(isPodActive);
  }

  async function scale(name: string, replicas: number): Promise<void> {
    const body = { spec: { replicas } };
    await h.api.patch(REPLICASETS, NS, name, 'application/merge-patch+json', body);
  }

  async function waitForStatus(name: string, replicas: number): Promise<ReplicaSet> {
    return eventually(async () => {
      const rs = await h.api.get<ReplicaSet>(REPLICASETS, NS, name);
      assert.equal(rs.status?.replicas, replicas);
      assert.equal(rs.status?.readyReplicas, replicas);
      assert.equal(rs.status?.availableReplicas, replicas);
      assert.equal(rs.status?.observedGeneration, rs.metadata.generation);
      return rs;
    });
  }

  it('makes exactly 5 pods for 5 replicas, owned by the ReplicaSet', async () => {
    const created = await h.api.create<ReplicaSet>(REPLICASETS, NS, replicaSet('web', 5));
    await waitForStatus('web', 5);
    const pods = await listPods(h.api, NS, 'app=web');
    assertCount(pods, 5, 'pods');
    for (const p of pods) {
      assert.match(p.metadata.name ?? '', /^web-[a-z0-9]{5}$/);
      assert.equal(p.metadata.ownerReferences?.[0]?.uid, created.metadata.uid);
      assert.equal(p.metadata.ownerReferences?.[0]?.controller, true);
    }
    const creates = h.events.filter((e) => e.name === 'web' && e.reason === 'SuccessfulCreate');
    assert.equal(creates.length, 5);
    assert.match(creates[0]?.message ?? '', /^Created pod: web-/);
  });

  it('scales 5 → 2 → 7 with exact counts', async () => {
    await scale('web', 2);
    await waitForStatus('web', 2);
    await eventually(async () => assertCount(await listPods(h.api, NS, 'app=web'), 2, 'after 2'));
    const deletes = h.events.filter((e) => e.name === 'web' && e.reason === 'SuccessfulDelete');
    assert.equal(deletes.length, 3);
    await scale('web', 7);
    await waitForStatus('web', 7);
    assertCount(await activePods('web'), 7, 'after 7');
  });

  it('replaces deleted pods', async () => {
    const before = await activePods('web');
    const victims = before.slice(0, 2).map((p) => p.metadata.name ?? '');
    for (const name of victims) await h.api.delete(PODS, NS, name);
    await eventually(async () => {
      const now = await activePods('web');
      assertCount(now, 7, 'replaced');
      for (const v of victims) {
        assert.ok(!now.some((p) => p.metadata.name === v), `${v} still there`);
      }
    });
    await waitForStatus('web', 7);
  });

  it('adopts a matching orphan and releases a pod whose labels stop matching', async () => {
    await h.api.create(REPLICASETS, NS, replicaSet('solo', 1));
    await waitForStatus('solo', 1);
    const [pod] = await listPods(h.api, NS, 'app=solo');
    assert.ok(pod);
    // Relabelling the pod releases it; the ReplicaSet makes a replacement.
    await h.api.patch(PODS, NS, pod.metadata.name ?? '', 'application/merge-patch+json',
      { metadata: { labels: { app: 'other' } } });
    await eventually(async () => {
      const released = await h.api.get<Pod>(PODS, NS, pod.metadata.name ?? '');
      assert.equal(released.metadata.ownerReferences, undefined);
      assertCount(await activePods('solo'), 1, 'replacement');
    });
    // Labelling it back makes it an orphan that matches: adopted, and one pod is deleted.
    await h.api.patch(PODS, NS, pod.metadata.name ?? '', 'application/merge-patch+json',
      { metadata: { labels: { app: 'solo' } } });
    await eventually(async () => assertCount(await activePods('solo'), 1, 'after adoption'));
    await waitForStatus('solo', 1);
  });
});
