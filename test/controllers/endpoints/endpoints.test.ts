/**
 * The Endpoints controller against the real in-process API server and the client kit's
 * informers: what `kubectl get endpoints` shows as pods become ready and not ready, and the
 * Endpoints going away with their Service.
 */
import assert from 'node:assert/strict';
import type { Endpoints } from '../../../src/api/core/v1/endpoints.js';
import type { Service } from '../../../src/api/core/v1/service.js';
import { StatusError } from '../../../src/api/errors.js';
import { ENDPOINTS, PODS, SERVICES } from '../../../src/controllers/base/resources.js';
import { endpointsController } from '../../../src/controllers/endpoints/controller.js';
import {
  eventually,
  node,
  startControllerHarness,
  type ControllerHarness,
} from '../../support/controllers.js';
import { createPod, setPodStatus, webService } from './fixtures.js';

const NS = 'ep-test';

describe('Endpoints controller (real API server)', function () {
  this.timeout(60_000);
  let h: ControllerHarness;

  before(async function () {
    this.timeout(60_000);
    h = await startControllerHarness([endpointsController],
      { namespaces: [NS], nodes: [node('n1'), node('n2')] });
  });
  after(async () => {
    await h?.stop();
  });

  const get = (): Promise<Endpoints> => h.api.get<Endpoints>(ENDPOINTS, NS, 'web');
  const ips = (ep: Endpoints, field: 'addresses' | 'notReadyAddresses'): string[] =>
    (ep.subsets ?? []).flatMap((s) => (s[field] ?? []).map((a) => a.ip)).sort();

  it('publishes ready pods as addresses, not-ready ones apart; kubectl: ip:port', async () => {
    const svc = await h.api.create<Service>(SERVICES, NS, webService(NS));
    await createPod(h.api, NS, 'a', 'n1');
    await createPod(h.api, NS, 'b', 'n2');
    await createPod(h.api, NS, 'c', 'n1');
    await createPod(h.api, NS, 'pending', 'n2'); // no IP yet: not published
    await setPodStatus(h.api, NS, 'a', '127.0.2.11', true);
    await setPodStatus(h.api, NS, 'b', '127.0.2.12', true);
    await setPodStatus(h.api, NS, 'c', '127.0.2.13', false);
    const ep = await eventually(async () => {
      const e = await get();
      assert.deepEqual(ips(e, 'addresses'), ['127.0.2.11', '127.0.2.12']);
      assert.deepEqual(ips(e, 'notReadyAddresses'), ['127.0.2.13']);
      return e;
    });
    assert.deepEqual(ep.metadata.labels, { tier: 'front' });
    assert.ok(ep.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']);
    const sub = ep.subsets?.[0];
    assert.deepEqual(sub?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const a = sub?.addresses?.find((x) => x.ip === '127.0.2.11');
    assert.equal(a?.nodeName, 'n1');
    assert.deepEqual({ ...a?.targetRef, resourceVersion: undefined }, { kind: 'Pod',
      namespace: NS, name: 'a', uid: a?.targetRef?.uid, resourceVersion: undefined });
    assert.ok(svc.metadata.uid);
    const out = await h.cluster.kubectl(['get', 'endpoints', 'web', '-n', NS]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^web\s+127\.0\.2\.11:8080,127\.0\.2\.12:8080\s/m);
  });

  it('a pod turning not ready moves to notReadyAddresses; an unrelated change writes nothing',
    async () => {
      const before = await get();
      const watch = h.api.watch<Endpoints>(ENDPOINTS, NS, {
        resourceVersion: before.metadata.resourceVersion ?? '',
        fieldSelector: 'metadata.name=web',
      });
      // An annotation on a pod enqueues the Service but changes nothing it publishes.
      await h.api.patch(PODS, NS, 'a', 'application/merge-patch+json',
        { metadata: { annotations: { note: 'x' } } });
      await setPodStatus(h.api, NS, 'b', '127.0.2.12', false);
      let writes = 0;
      for await (const ev of watch) {
        if (ev.type !== 'MODIFIED') continue;
        writes++;
        if (ips(ev.object, 'notReadyAddresses').includes('127.0.2.12')) break;
      }
      watch.stop();
      assert.equal(writes, 1, 'one write: the readiness change, none for the annotation');
      const e = await get();
      assert.deepEqual(ips(e, 'addresses'), ['127.0.2.11']);
      assert.deepEqual(ips(e, 'notReadyAddresses'), ['127.0.2.12', '127.0.2.13']);
    });

  it('deleting the Service deletes its Endpoints', async () => {
    await h.api.delete(SERVICES, NS, 'web');
    await eventually(async () => {
      await assert.rejects(get(), (e) => e instanceof StatusError && e.status.code === 404);
    });
    if (h.logs.length > 0) assert.ok(h.logs.every((l) => !/dropping/.test(l)), h.logs.join('\n'));
  });
});
