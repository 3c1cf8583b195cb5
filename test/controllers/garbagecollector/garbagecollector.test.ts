/**
 * The garbage collector against the real in-process API server, driven by the REAL kubectl:
 * ownership chains made by hand (a ConfigMap owned by a ConfigMap, pods carrying a ReplicaSet's
 * ownerReference — no ReplicaSet controller runs), then `kubectl delete` with each cascade mode.
 */
import assert from 'node:assert/strict';
import { isStatusError } from '../../../src/api/errors.js';
import type { KubeObject, OwnerReference } from '../../../src/api/meta.js';
import type { ApiResource } from '../../../src/client/types.js';
import { PODS, REPLICASETS as RS } from '../../../src/controllers/base/resources.js';
import {
  garbageCollectorController,
} from '../../../src/controllers/garbagecollector/controller.js';
import {
  eventually,
  startControllerHarness,
  type ControllerHarness,
} from '../../support/controllers.js';

const NS = 'gc';
const CM: ApiResource = { group: '', version: 'v1', resource: 'configmaps' };
const HOLD = 'example.com/hold';

function ownerRef(owner: KubeObject, controller = true): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? '',
    kind: owner.kind ?? '',
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller,
    blockOwnerDeletion: true,
  };
}

describe('garbage collector (real API server, real kubectl)', function () {
  this.timeout(120_000);
  let h: ControllerHarness;

  before(async () => {
    h = await startControllerHarness([garbageCollectorController], { namespaces: [NS] });
  });
  after(async () => {
    await h?.stop();
  });

  async function configMap(name: string, owners: KubeObject[] = [], finalizers?: string[]) {
    const ownerReferences = owners.map((o, i) => ownerRef(o, i === 0));
    return h.api.create<KubeObject>(CM, NS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        ...(owners.length > 0 ? { ownerReferences } : {}),
        ...(finalizers ? { finalizers } : {}),
      },
      data: { k: name },
    });
  }

  /** replicaSet creates a ReplicaSet and n pods carrying its ownerReference (no controller). */
  async function replicaSet(name: string, n: number): Promise<{ rs: KubeObject; pods: string[] }> {
    const labels = { app: name };
    const spec = { containers: [{ name: 'c', image: 'busybox' }] };
    const template = { metadata: { labels }, spec };
    const rs = await h.api.create<KubeObject>(RS, NS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name },
      spec: { replicas: n, selector: { matchLabels: labels }, template },
    });
    const pods: string[] = [];
    for (let i = 0; i < n; i++) {
      const pod = await h.api.create<KubeObject>(PODS, NS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${name}-${i}`, labels, ownerReferences: [ownerRef(rs)] },
        spec: template.spec,
      });
      pods.push(pod.metadata.name ?? '');
    }
    return { rs, pods };
  }

  async function exists(r: ApiResource, name: string): Promise<KubeObject | undefined> {
    try {
      return await h.api.get<KubeObject>(r, NS, name);
    } catch (err) {
      if (isStatusError(err) && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }

  async function gone(r: ApiResource, names: string[]): Promise<void> {
    await eventually(async () => {
      for (const n of names) {
        assert.equal(await exists(r, n), undefined, `${r.resource}/${n} still exists`);
      }
    });
  }

  async function kubectl(args: string[]): Promise<string> {
    const res = await h.cluster.kubectl([...args, '-n', NS]);
    assert.equal(res.code, 0, res.stderr);
    return res.stdout;
  }

  it('--cascade=background: the owner goes at once, its pods and ConfigMaps follow', async () => {
    const { pods } = await replicaSet('bg', 3);
    const parent = await configMap('bg-parent');
    await configMap('bg-child', [parent]);
    await kubectl(['delete', 'replicaset', 'bg', '--cascade=background']);
    await kubectl(['delete', 'configmap', 'bg-parent']);
    await gone(PODS, pods);
    await gone(CM, ['bg-child']);
  });

  it('--cascade=foreground: the owner stays marked until its dependents are gone', async () => {
    const a = await configMap('fg-a');
    const b = await configMap('fg-b', [a]);
    await configMap('fg-c', [b], [HOLD]); // held: its deletion cannot finish until we say so
    await kubectl(['delete', 'configmap', 'fg-a', '--cascade=foreground', '--wait=false']);
    await eventually(async () => {
      const c = await exists(CM, 'fg-c');
      assert.ok(c?.metadata.deletionTimestamp, 'fg-c is being deleted');
    });
    for (const name of ['fg-a', 'fg-b']) {
      const o = await exists(CM, name);
      assert.ok(o?.metadata.deletionTimestamp, `${name} is marked for deletion`);
      assert.ok(o.metadata.finalizers?.includes('foregroundDeletion'), `${name} waits`);
    }
    const release = { metadata: { finalizers: null } };
    await h.api.patch(CM, NS, 'fg-c', 'application/merge-patch+json', release);
    await gone(CM, ['fg-c', 'fg-b', 'fg-a']);

    const { pods } = await replicaSet('fg', 2);
    await kubectl(['delete', 'replicaset', 'fg', '--cascade=foreground', '--timeout=60s']);
    assert.equal(await exists(RS, 'fg'), undefined);
    await gone(PODS, pods);
  });

  it('--cascade=orphan: the owner goes, its dependents stay without the reference', async () => {
    const { pods } = await replicaSet('or', 2);
    await kubectl(['delete', 'replicaset', 'or', '--cascade=orphan', '--timeout=60s']);
    assert.equal(await exists(RS, 'or'), undefined);
    for (const name of pods) {
      const pod = await exists(PODS, name);
      assert.ok(pod, `${name} was orphaned, not deleted`);
      assert.equal(pod.metadata.ownerReferences, undefined);
    }
    const out = await kubectl(['get', 'pods', '-l', 'app=or', '-o', 'name']);
    assert.deepEqual(out.trim().split('\n').sort(), pods.map((p) => `pod/${p}`).sort());
  });

  it('mixed owners: a dependent with a live owner only loses the dangling reference', async () => {
    const keep = await configMap('mx-keep');
    const drop = await configMap('mx-drop');
    await configMap('mx-dep', [keep, drop]);
    await kubectl(['delete', 'configmap', 'mx-drop']);
    await eventually(async () => {
      const dep = await exists(CM, 'mx-dep');
      assert.ok(dep, 'mx-dep must survive');
      assert.deepEqual(dep.metadata.ownerReferences?.map((r) => r.name), ['mx-keep']);
    });
  });

  it('a re-created owner of the same name does not own the old dependents (uid)', async () => {
    const old = await configMap('re-owner');
    await kubectl(['delete', 'configmap', 're-owner']);
    await configMap('re-owner'); // same name, new uid
    await configMap('re-dep', [old]);
    await gone(CM, ['re-dep']);
    assert.ok(await exists(CM, 're-owner'), 'the new owner is untouched');
  });
});
