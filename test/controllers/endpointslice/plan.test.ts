/**
 * The EndpointSlice plan, pure: inputs filled by hand, the planned writes compared; "apply"
 * plays the API server (names, resourceVersions) so a second sync can be checked for no-ops.
 */
import assert from 'node:assert/strict';
import type { Node } from '../../../src/api/core/v1/cluster-kinds.js';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import type { Service } from '../../../src/api/core/v1/service.js';
import type { EndpointSlice } from '../../../src/api/discovery/v1/endpoint-slice.js';
import {
  planEndpointSlices,
  type SliceAction,
  type SlicePlanInput,
} from '../../../src/controllers/endpointslice/plan.js';
import { pod, svc } from '../endpoints/fixtures.js';

const NODES: Record<string, Node> = {
  n1: { metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } } },
  n2: { metadata: { name: 'n2' } },
};

function input(service: Service | undefined, pods: Pod[], slices: EndpointSlice[] = [],
  max?: number): SlicePlanInput {
  return { service, pods, slices, node: (n) => NODES[n],
    ...(max !== undefined ? { maxEndpointsPerSlice: max } : {}) };
}

/** apply plays the API server: names creates, bumps resourceVersions, drops deletes. */
function apply(slices: EndpointSlice[], actions: SliceAction[], counter = { n: 0 }):
  EndpointSlice[] {
  const byName = new Map(slices.map((s) => [s.metadata.name ?? '', s]));
  for (const a of actions) {
    if (a.verb === 'delete') {
      assert.ok(byName.delete(a.name), `delete of unknown ${a.name}`);
      continue;
    }
    const o = structuredClone(a.object);
    counter.n++;
    if (a.verb === 'create') {
      o.metadata.name = `${o.metadata.generateName}${counter.n}`;
      o.metadata.uid = `slice-${counter.n}`;
    }
    o.metadata.resourceVersion = String(100 + counter.n);
    byName.set(o.metadata.name ?? '', o);
  }
  return [...byName.values()];
}

const verbs = (actions: SliceAction[]) => actions.map((a) => a.verb);
/** manyPods: p000, p001... with distinct loopback IPs. */
const manyPods = (n: number) => Array.from({ length: n }, (_, i) => pod(
  `p${String(i).padStart(3, '0')}`, { ip: `127.0.${2 + Math.floor(i / 250)}.${(i % 250) + 1}` }));

describe('endpointslice plan', () => {
  it('creates one slice: labels, owner, ports, endpoint conditions, zone, targetRef', () => {
    const pods = [pod('a', { ip: '127.0.2.1' }), pod('b', { ip: '127.0.2.2', node: 'n2',
      ready: false }), pod('c', { ip: '127.0.2.3', deleting: true })];
    const plan = planEndpointSlices(input(svc({ labels: { tier: 'front' } }), pods));
    assert.deepEqual(plan.missingNodes, []);
    assert.equal(plan.actions.length, 1);
    const a = plan.actions[0]!;
    assert.ok(a.verb === 'create');
    const s = a.object;
    assert.equal(s.metadata.generateName, 'web-');
    assert.deepEqual(s.metadata.labels, { tier: 'front', 'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service',
      name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
    assert.equal(s.addressType, 'IPv4');
    assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const ref = (name: string) => ({ kind: 'Pod', namespace: 'default', name, uid: `uid-${name}` });
    assert.deepEqual(s.endpoints, [
      { addresses: ['127.0.2.1'], conditions: { ready: true, serving: true, terminating: false },
        targetRef: ref('a'), nodeName: 'n1', zone: 'zone-a' },
      { addresses: ['127.0.2.2'], conditions: { ready: false, serving: false, terminating: false },
        targetRef: ref('b'), nodeName: 'n2' },
      { addresses: ['127.0.2.3'], conditions: { ready: false, serving: true, terminating: true },
        targetRef: ref('c'), nodeName: 'n1', zone: 'zone-a' },
    ]);
  });

  it('a second sync over the written slices writes nothing', () => {
    const pods = manyPods(5);
    const slices = apply([], planEndpointSlices(input(svc(), pods)).actions);
    assert.deepEqual(planEndpointSlices(input(svc(), pods, slices)).actions, []);
  });

  it('no write either when the server dropped false conditions and default protocols', () => {
    const pods = [pod('a', { ip: '127.0.2.1', ready: false }), pod('b', { ip: '127.0.2.2' })];
    const slices = apply([], planEndpointSlices(input(svc(), pods)).actions);
    for (const s of slices) {
      for (const p of s.ports ?? []) if (p.name === 'http') delete p.protocol;
      for (const e of s.endpoints ?? []) {
        const c = e.conditions ?? {};
        e.conditions = Object.fromEntries(Object.entries(c).filter(([, v]) => v === true));
        e.targetRef = { ...e.targetRef, resourceVersion: '77' };
      }
      s.endpoints?.reverse();
    }
    assert.deepEqual(planEndpointSlices(input(svc(), pods, slices)).actions, []);
  });

  it('a changed target port moves endpoints to a new port group by updating the slice', () => {
    const slices = apply([], planEndpointSlices(input(svc(), manyPods(3))).actions);
    const moved = svc({ ports: [{ name: 'http', port: 80, targetPort: 9000, protocol: 'TCP' }] });
    const plan = planEndpointSlices(input(moved, manyPods(3), slices));
    assert.deepEqual(verbs(plan.actions), ['update']);
    const a = plan.actions[0]!;
    assert.ok(a.verb === 'update');
    assert.equal(a.object.metadata.name, slices[0]?.metadata.name);
    assert.deepEqual(a.object.ports, [{ name: 'http', port: 9000, protocol: 'TCP' }]);
    assert.equal(a.object.endpoints?.length, 3);
  });

  it('packs at most 100 endpoints per slice; growth fills existing slices before creating', () => {
    const first = planEndpointSlices(input(svc(), manyPods(250)));
    assert.deepEqual(verbs(first.actions), ['create', 'create', 'create']);
    let slices = apply([], first.actions);
    assert.deepEqual(slices.map((s) => s.endpoints?.length).sort(), [100, 100, 50]);
    // 30 more pods fit in the slice with room: one update, no create.
    const more = planEndpointSlices(input(svc(), manyPods(280), slices));
    assert.deepEqual(verbs(more.actions), ['update']);
    slices = apply(slices, more.actions);
    assert.deepEqual(slices.map((s) => s.endpoints?.length).sort(), [100, 100, 80]);
    assert.deepEqual(planEndpointSlices(input(svc(), manyPods(280), slices)).actions, []);
  });

  it('a pod change updates only the slice holding it, in place', () => {
    const pods = manyPods(150);
    const slices = apply([], planEndpointSlices(input(svc(), pods)).actions);
    const changed = pods.map((p) => p.metadata.name === 'p120' ?
      pod('p120', { ip: p.status!.podIP!, ready: false }) : p);
    const plan = planEndpointSlices(input(svc(), changed, slices));
    assert.deepEqual(verbs(plan.actions), ['update']);
    const a = plan.actions[0]!;
    assert.ok(a.verb === 'update');
    const holder = slices.find((s) => s.endpoints?.some((e) => e.targetRef?.name === 'p120'));
    assert.equal(a.object.metadata.name, holder?.metadata.name);
    assert.equal(a.object.metadata.resourceVersion, holder?.metadata.resourceVersion);
    const ep = a.object.endpoints?.find((e) => e.targetRef?.name === 'p120');
    assert.deepEqual(ep?.conditions, { ready: false, serving: false, terminating: false });
  });

  it('pods gone: the emptied slice is deleted; all gone: one placeholder remains', () => {
    let slices = apply([], planEndpointSlices(input(svc(), manyPods(150))).actions);
    // p000-p099 and p100-p149: keeping p000-p049 shrinks the first, empties the second.
    const fewer = planEndpointSlices(input(svc(), manyPods(50), slices));
    assert.deepEqual(verbs(fewer.actions), ['update', 'delete']);
    slices = apply(slices, fewer.actions);
    const none = planEndpointSlices(input(svc(), [], slices));
    // The last slice becomes the placeholder: updated (no ports, no endpoints), not recreated.
    assert.deepEqual(verbs(none.actions), ['update']);
    slices = apply(slices, none.actions);
    assert.deepEqual(slices.map((s) => [s.endpoints, s.ports]), [[[], []]]);
    assert.deepEqual(planEndpointSlices(input(svc(), [], slices)).actions, []);
    // Pods come back: the placeholder is reused for them.
    const back = planEndpointSlices(input(svc(), manyPods(2), slices));
    assert.deepEqual(verbs(back.actions), ['update']);
  });

  it('a new Service without pods gets a placeholder slice', () => {
    const plan = planEndpointSlices(input(svc(), []));
    assert.deepEqual(verbs(plan.actions), ['create']);
    const a = plan.actions[0]!;
    assert.ok(a.verb === 'create');
    assert.deepEqual([a.object.endpoints, a.object.ports], [[], []]);
  });

  it('pods serving different port sets get separate slices', () => {
    const service = svc({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'admin', port: 81, targetPort: 'admin', protocol: 'TCP' }] });
    const pods = [pod('a', { ip: '127.0.2.1' }), pod('b', { ip: '127.0.2.2',
      ports: [{ name: 'http', containerPort: 8080 }, { name: 'admin', containerPort: 9000 }] })];
    const plan = planEndpointSlices(input(service, pods));
    assert.deepEqual(plan.actions.map((a) => a.verb === 'delete' ? [] :
      [a.object.ports?.map((p) => p.name), a.object.endpoints?.map((e) => e.targetRef?.name)]),
    [[['admin', 'http'], ['b']], [['http'], ['a']]]);
  });

  it('slices of a deleted namesake Service are replaced; a Service label change updates', () => {
    const slices = apply([], planEndpointSlices(input(svc(), manyPods(3))).actions);
    const reborn = svc();
    reborn.metadata.uid = 'svc-uid-2';
    const plan = planEndpointSlices(input(reborn, manyPods(3), slices));
    // Not owned: deleted, and a new slice created (never reused across owners).
    assert.deepEqual(verbs(plan.actions), ['create', 'delete']);
    const relabel = planEndpointSlices(input(svc({ labels: { v: '2' } }), manyPods(3), slices));
    assert.deepEqual(verbs(relabel.actions), ['update']);
  });

  it('a pod on an unknown node is held back and reported; no selector or Service: nothing', () => {
    const plan = planEndpointSlices(input(svc(), [pod('a', { node: 'ghost' }),
      pod('b', { ip: '127.0.2.2' })]));
    assert.deepEqual(plan.missingNodes, ['ghost']);
    const a = plan.actions[0]!;
    assert.ok(a.verb === 'create');
    assert.deepEqual(a.object.endpoints?.map((e) => e.targetRef?.name), ['b']);
    assert.deepEqual(planEndpointSlices(input(svc({ selector: {} }), [pod('a')])).actions, []);
    assert.deepEqual(planEndpointSlices(input(undefined, [pod('a')])).actions, []);
  });
});
