import { strict as assert } from 'node:assert';
import { isStatusError } from '../../../src/api/errors.js';
import type { JsonObject } from '../../../src/api/meta.js';
import { strategicMergePatch } from '../../../src/api/patch/strategic-merge.js';

const DEPLOY = { group: 'apps', kind: 'Deployment' };
const POD = { group: '', kind: 'Pod' };
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function deployment(containers: JsonObject[], extra: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', annotations: { [LAST_APPLIED]: '{}' } },
    spec: {
      replicas: 2,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
      ...extra,
    },
  };
}

function containersOf(o: JsonObject): JsonObject[] {
  const spec = o.spec as { template: { spec: { containers: JsonObject[] } } };
  return spec.template.spec.containers;
}

function code(f: () => unknown): [number, string | undefined] {
  try {
    f();
  } catch (e) {
    assert.ok(isStatusError(e));
    return [e.code, e.status.message];
  }
  throw new Error('expected a StatusError');
}

describe('strategic merge patch', () => {
  it("applies kubectl apply's 3-way patch body (§4.2) to a Deployment", () => {
    const live = deployment([{
      name: 'nginx', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent',
      env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80, protocol: 'TCP' }],
    }]);
    const patch = {
      metadata: { annotations: { [LAST_APPLIED]: '{"new":1}\n' } },
      spec: { template: { spec: {
        '$setElementOrder/containers': [{ name: 'nginx' }],
        containers: [{
          '$setElementOrder/env': [{ name: 'A' }], env: [{ name: 'A', value: '2' }],
          image: 'nginx:1.26', name: 'nginx',
        }],
      } } },
    };
    const out = strategicMergePatch(DEPLOY, live, patch);
    assert.deepEqual(containersOf(out), [{
      name: 'nginx', image: 'nginx:1.26', imagePullPolicy: 'IfNotPresent',
      env: [{ name: 'A', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP' }],
    }]);
    const meta = out.metadata as { annotations: Record<string, string> };
    assert.equal(meta.annotations[LAST_APPLIED], '{"new":1}\n');
    assert.equal((out.spec as JsonObject).replicas, 2);
    assert.equal(JSON.stringify(out).includes('$'), false, 'no directive reaches the object');
  });

  it('adds a container and orders the list as $setElementOrder says', () => {
    const live = deployment([{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }]);
    const patch = { spec: { template: { spec: {
      '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }],
      containers: [{ name: 'c', image: 'c' }],
    } } } };
    const out = strategicMergePatch(DEPLOY, live, patch);
    assert.deepEqual(containersOf(out).map((c) => c.name), ['c', 'a', 'b']);
  });

  // Upstream's mergeSortedSlice: a server-only item goes before the first patch item that
  // follows it in the live list; x (live 1) precedes c (live 3), so it leads.
  it('reorders with $setElementOrder alone, keeping server-only items in place', () => {
    const live = deployment([{ name: 'a' }, { name: 'x' }, { name: 'b' }, { name: 'c' }]);
    const patch = { spec: { template: { spec: {
      '$setElementOrder/containers': [{ name: 'c' }, { name: 'b' }, { name: 'a' }],
    } } } };
    const out = strategicMergePatch(DEPLOY, live, patch);
    assert.deepEqual(containersOf(out).map((c) => c.name), ['x', 'c', 'b', 'a']);
  });

  // Without $setElementOrder the patch list is the order, and an item the live list lacks
  // cannot be compared with server-only ones, so it comes first (upstream does the same: this
  // is why kubectl always sends $setElementOrder).
  it('orders by the patch list when there is no order directive', () => {
    const live = deployment([{ name: 'a', env: [{ name: 'X', value: '1' }] }]);
    const patch = { spec: { template: { spec: { containers: [
      { name: 'a', env: [{ name: 'Y', value: '2' }] }, { name: 'b' },
    ] } } } };
    const out = strategicMergePatch(DEPLOY, live, patch);
    assert.deepEqual(containersOf(out), [
      { name: 'a', env: [{ name: 'Y', value: '2' }, { name: 'X', value: '1' }] }, { name: 'b' },
    ]);
  });

  it('deletes a keyed item with {"$patch":"delete"}', () => {
    const live = deployment([{ name: 'a' }, { name: 'b' }]);
    const patch = { spec: { template: { spec: {
      '$setElementOrder/containers': [{ name: 'b' }],
      containers: [{ $patch: 'delete', name: 'a' }],
    } } } };
    assert.deepEqual(containersOf(strategicMergePatch(DEPLOY, live, patch)), [{ name: 'b' }]);
  });

  it('replaces a keyed list with a {"$patch":"replace"} item', () => {
    const live = deployment([{ name: 'a', image: 'a' }, { name: 'b' }]);
    const containers = [{ $patch: 'replace' }, { name: 'z' }];
    const patch = { spec: { template: { spec: { containers } } } };
    assert.deepEqual(containersOf(strategicMergePatch(DEPLOY, live, patch)), [{ name: 'z' }]);
  });

  it('replaces a map with $patch: replace and empties it with $patch: delete', () => {
    const live = deployment([{ name: 'a' }]);
    const replaced = strategicMergePatch(DEPLOY, live, {
      metadata: { annotations: { $patch: 'replace', only: 'this' } },
    });
    assert.deepEqual((replaced.metadata as JsonObject).annotations, { only: 'this' });
    const emptied = strategicMergePatch(DEPLOY, live,
      { metadata: { annotations: { $patch: 'delete' } } });
    assert.deepEqual((emptied.metadata as JsonObject).annotations, {});
  });

  it('switches the deployment strategy to Recreate with $retainKeys', () => {
    const live = deployment([{ name: 'a' }]);
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } };
    const out = strategicMergePatch(DEPLOY, live, patch);
    assert.deepEqual((out.spec as JsonObject).strategy, { type: 'Recreate' });
  });

  it('answers 422 when a patch key is missing from $retainKeys, 400 when it is no list', () => {
    const live = deployment([{ name: 'a' }]);
    const bad = { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: 1 } } } };
    assert.deepEqual(code(() => strategicMergePatch(DEPLOY, live, bad)),
      [422, "patch content doesn't match retainKeys list"]);
    const notList = { spec: { strategy: { $retainKeys: 'type' } } };
    assert.deepEqual(code(() => strategicMergePatch(DEPLOY, live, notList)),
      [400, 'invalid patch format of retainKeys']);
  });

  it('switches a volume source with $retainKeys on the volumes item', () => {
    const pod = { metadata: { name: 'p' }, spec: { containers: [], volumes: [
      { name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } },
    ] } };
    const patch = { spec: { volumes: [
      { $retainKeys: ['hostPath', 'name'], name: 'data', hostPath: { path: '/d' } },
    ] } };
    const out = strategicMergePatch(POD, pod, patch);
    assert.deepEqual((out.spec as JsonObject).volumes, [
      { name: 'data', hostPath: { path: '/d' } }, { name: 'cfg', configMap: { name: 'c' } },
    ]);
  });

  it('merges finalizers as a primitive set and deletes with $deleteFromPrimitiveList', () => {
    const live = { metadata: { name: 'p', finalizers: ['a', 'b'] } };
    const added = strategicMergePatch(POD, live, { metadata: { finalizers: ['b', 'c'] } });
    assert.deepEqual((added.metadata as JsonObject).finalizers, ['a', 'b', 'c']);
    const removed = strategicMergePatch(POD, added, {
      metadata: {
        '$deleteFromPrimitiveList/finalizers': ['a'],
        '$setElementOrder/finalizers': ['c', 'b'],
      },
    });
    assert.deepEqual((removed.metadata as JsonObject).finalizers, ['c', 'b']);
  });

  it('replaces lists that are not in the table (args, tolerations)', () => {
    const live = { metadata: {}, spec: { containers: [{ name: 'a', args: ['1', '2'] }],
      tolerations: [{ key: 'k' }] } };
    const out = strategicMergePatch(POD, live, { spec: {
      containers: [{ name: 'a', args: ['3'] }], tolerations: [{ key: 'j' }],
    } });
    assert.deepEqual(out.spec,
      { containers: [{ name: 'a', args: ['3'] }], tolerations: [{ key: 'j' }] });
  });

  it('merges ports by containerPort and owner references by uid', () => {
    const live = { metadata: { ownerReferences: [{ uid: '1', name: 'x' }] }, spec: { containers: [
      { name: 'a', ports: [{ containerPort: 80, name: 'http' }] },
    ] } };
    const out = strategicMergePatch(POD, live, {
      metadata: { ownerReferences: [{ uid: '1', controller: true }, { uid: '2', name: 'y' }] },
      spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
    });
    assert.deepEqual((out.metadata as JsonObject).ownerReferences, [
      { uid: '1', name: 'x', controller: true }, { uid: '2', name: 'y' },
    ]);
    assert.deepEqual((out.spec as { containers: JsonObject[] }).containers[0]?.ports, [
      { containerPort: 80, name: 'http', protocol: 'TCP' },
    ]);
  });

  it('merges status conditions by type', () => {
    const node = { metadata: {}, status: { conditions: [
      { type: 'Ready', status: 'False' }, { type: 'MemoryPressure', status: 'False' },
    ] } };
    const out = strategicMergePatch({ group: '', kind: 'Node' }, node, {
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    assert.deepEqual((out.status as JsonObject).conditions, [
      { type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'False' },
    ]);
  });

  it('replaces Endpoints subsets wholesale (atomic upstream)', () => {
    const ep = { metadata: {}, subsets: [{ addresses: [{ ip: '10.0.0.1' }] }] };
    const out = strategicMergePatch({ group: '', kind: 'Endpoints' }, ep, {
      subsets: [{ addresses: [{ ip: '10.0.0.2' }] }],
    });
    assert.deepEqual(out.subsets, [{ addresses: [{ ip: '10.0.0.2' }] }]);
  });

  it('applies rollout restart, cordon and null deletion', () => {
    const live = deployment([{ name: 'a' }]);
    const restarted = strategicMergePatch(DEPLOY, live, { spec: { template: { metadata: {
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' },
    } } } });
    const tpl = (restarted.spec as { template: { metadata: JsonObject } }).template.metadata;
    assert.deepEqual(tpl, { labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } });
    const node = strategicMergePatch({ group: '', kind: 'Node' }, { metadata: {}, spec: {} },
      { spec: { unschedulable: true } });
    assert.deepEqual(node.spec, { unschedulable: true });
    const noReplicas = strategicMergePatch(DEPLOY, live, { spec: { replicas: null } });
    assert.equal('replicas' in (noReplicas.spec as JsonObject), false);
  });

  it('cleans directives out of values the live object did not have', () => {
    const live = { metadata: {}, spec: {} };
    const out = strategicMergePatch(POD, live, { spec: {
      '$setElementOrder/containers': [{ name: 'a' }],
      containers: [{ name: 'a', '$setElementOrder/env': [{ name: 'E' }], env: [{ name: 'E' }] }],
    } });
    assert.deepEqual(out.spec, { containers: [{ name: 'a', env: [{ name: 'E' }] }] });
  });

  it('never mutates its inputs', () => {
    const live = deployment([{ name: 'a', env: [{ name: 'X' }] }]);
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' },
      template: { spec: { containers: [{ name: 'a', env: [{ name: 'Y' }] }] } } } };
    const [l0, p0] = [structuredClone(live), structuredClone(patch)];
    strategicMergePatch(DEPLOY, live, patch);
    assert.deepEqual(live, l0);
    assert.deepEqual(patch, p0);
  });

  it('rejects malformed directives as kube-apiserver does', () => {
    const live = deployment([{ name: 'a' }]);
    const spec = (s: JsonObject) => ({ spec: { template: { spec: s } } });
    const run = (kind: typeof POD, p: JsonObject) => code(() => strategicMergePatch(kind, live, p));
    assert.deepEqual(run(DEPLOY, spec({ '$setElementOrder/containers': 'a' })),
      [400, 'invalid patch format of setElementOrder list']);
    assert.deepEqual(run(POD, { metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } }),
      [400, 'invalid patch format of primitive list']);
    assert.equal(run(DEPLOY, spec({ containers: [{ image: 'x' }] }))[0], 500);
    assert.equal(run(DEPLOY, { spec: { $patch: 'bogus' } })[0], 500);
  });
});
