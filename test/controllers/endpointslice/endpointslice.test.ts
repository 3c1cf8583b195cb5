/**
 * The EndpointSlice controller against the real in-process API server and the client kit's
 * informers: the slice a Service gets (owner, labels, zones, conditions), what
 * `kubectl get endpointslices` shows, and updates in place as pods change.
 */
import assert from 'node:assert/strict';
import type { Service } from '../../../src/api/core/v1/service.js';
import type { EndpointSlice } from '../../../src/api/discovery/v1/endpoint-slice.js';
import { ENDPOINT_SLICES, PODS, SERVICES } from '../../../src/controllers/base/resources.js';
import { endpointSliceController } from '../../../src/controllers/endpointslice/controller.js';
import {
  eventually,
  node,
  startControllerHarness,
  type ControllerHarness,
} from '../../support/controllers.js';
import { createPod, setPodStatus, webService } from '../endpoints/fixtures.js';

const NS = 'eps-test';

describe('EndpointSlice controller (real API server)', function () {
  this.timeout(60_000);
  let h: ControllerHarness;
  let svc: Service;

  before(async function () {
    this.timeout(60_000);
    h = await startControllerHarness([endpointSliceController], { namespaces: [NS],
      nodes: [node('n1', { labels: { 'topology.kubernetes.io/zone': 'zone-a' } }), node('n2')] });
  });
  after(async () => {
    await h?.stop();
  });

  async function slices(): Promise<EndpointSlice[]> {
    const list = await h.api.list<EndpointSlice>(ENDPOINT_SLICES, NS,
      { labelSelector: 'kubernetes.io/service-name=web' });
    return list.items;
  }

  /** ready: pod name → conditions.ready of its endpoint in the only slice. */
  async function readiness(): Promise<Record<string, boolean | undefined>> {
    const all = await slices();
    assert.equal(all.length, 1, `slices: ${all.map((s) => s.metadata.name).join(', ')}`);
    return Object.fromEntries((all[0]!.endpoints ?? [])
      .map((e) => [e.targetRef?.name ?? '', e.conditions?.ready]));
  }

  it('gives the Service one owned slice with its ready and not-ready pods', async () => {
    svc = await h.api.create<Service>(SERVICES, NS, webService(NS));
    // No pods yet: a placeholder slice without endpoints.
    await eventually(async () => assert.deepEqual(await readiness(), {}));
    await createPod(h.api, NS, 'a', 'n1');
    await createPod(h.api, NS, 'b', 'n2');
    await setPodStatus(h.api, NS, 'a', '127.0.2.21', true);
    await setPodStatus(h.api, NS, 'b', '127.0.2.22', false);
    await eventually(async () => assert.deepEqual(await readiness(), { a: true, b: false }));
    const s = (await slices())[0];
    assert.ok(s !== undefined && s.metadata.name?.startsWith('web-'));
    assert.equal(s.addressType, 'IPv4');
    assert.equal(s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'],
      'endpointslice-controller.k8s.io');
    assert.equal(s.metadata.labels?.tier, 'front');
    assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service',
      name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const a = s.endpoints?.find((e) => e.targetRef?.name === 'a');
    assert.deepEqual([a?.addresses, a?.nodeName, a?.zone], [['127.0.2.21'], 'n1', 'zone-a']);
    const out = await h.cluster.kubectl(['get', 'endpointslices', '-n', NS]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^web-\S+\s+IPv4\s+8080\s+127\.0\.2\.2[12],127\.0\.2\.2[12]\s/m);
  });

  it('updates the slice in place as pods change; unrelated changes write nothing', async () => {
    const [before] = await slices();
    const watch = h.api.watch<EndpointSlice>(ENDPOINT_SLICES, NS, {
      resourceVersion: before?.metadata.resourceVersion ?? '',
      labelSelector: 'kubernetes.io/service-name=web',
    });
    // An annotation on a pod enqueues the Service but changes nothing it publishes.
    await h.api.patch(PODS, NS, 'a', 'application/merge-patch+json',
      { metadata: { annotations: { note: 'x' } } });
    await setPodStatus(h.api, NS, 'b', '127.0.2.22', true);
    let writes = 0;
    for await (const ev of watch) {
      writes++;
      if (ev.object.endpoints?.every((e) => e.conditions?.ready === true)) break;
    }
    watch.stop();
    assert.equal(writes, 1, 'one write: the readiness change, none for the annotation');
    await h.api.delete(PODS, NS, 'a', { gracePeriodSeconds: 0 });
    await eventually(async () => assert.deepEqual(await readiness(), { b: true }));
    const [after] = await slices();
    assert.equal(after?.metadata.name, before?.metadata.name);
    assert.equal(after?.metadata.uid, before?.metadata.uid);
  });
});
