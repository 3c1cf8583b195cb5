/**
 * Leader fencing end to end: ApiClient → gRPC (k8ts-fence metadata) → the real Registry → the
 * real EtcdStorage on a 3-member k8ts store, with two API servers (the leader's writes go to one,
 * the lease changes hands through the other). A fence taken from a lease acquisition lets every
 * write verb through; once the lease changes holder (or is deleted, or never existed) the same
 * fence is refused with 403 on every verb and the store is read back unchanged. Renewals by the
 * holder keep the fence valid.
 */
import assert from 'node:assert/strict';
import { rejection } from '../../support/status.js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { Lease } from '../../../src/api/coordination/v1/lease.js';
import { ApiClient } from '../../../src/client/api-client.js';
import type { LeaderFence } from '../../../src/client/types.js';
import { startApiCluster, type ApiCluster } from '../../support/apiserver.js';

const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const NS = 'default';
const LEASE_NS = 'kube-system';

function lease(name: string, holder: string, renewTime = '2026-01-01T00:00:00.000000Z'): Lease {
  const spec = { holderIdentity: holder, leaseDurationSeconds: 15, renewTime };
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec };
}

function cm(name: string, data: Record<string, string> = { a: '1' }): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
}

function pod(name: string, nodeName?: string): KubeObject {
  const spec = { containers: [{ name: 'c', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) };
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec };
}

function fenceOf(l: Lease): LeaderFence {
  return { namespace: LEASE_NS, name: l.metadata.name ?? '', revision: l.metadata.resourceVersion ?? '' };
}

describe('leader fencing (2 API servers, component API)', function () {
  this.timeout(30_000);
  let c: ApiCluster;
  /** leader talks to server 0; other (the lease's new holder, admins) to server 1. */
  let leader: ApiClient;
  let other: ApiClient;

  before(async function () {
    this.timeout(60_000);
    c = await startApiCluster({ servers: 2 });
    leader = new ApiClient({ endpoints: [c.grpcEndpoints[0] ?? ''] });
    other = new ApiClient({ endpoints: [c.grpcEndpoints[1] ?? ''] });
  });
  after(async () => {
    leader?.close();
    other?.close();
    await c?.stop();
  });

  /** acquire creates the lease held by `holder` and returns the fence of that acquisition. */
  async function acquire(name: string, holder: string): Promise<LeaderFence> {
    return fenceOf(await other.create(LEASES, LEASE_NS, lease(name, holder)));
  }

  it('a fence from a lease acquisition lets create/update/patch/delete/bind/status through', async () => {
    const fence = await acquire('ok', 'a');
    const o = { fence };
    const made = await leader.create(CONFIGMAPS, NS, cm('f1'), o);
    const upd = await leader.update(CONFIGMAPS, NS, { ...made, data: { a: '2' } }, o);
    assert.deepEqual(upd.data, { a: '2' });
    const merge = 'application/merge-patch+json';
    const patched = await leader.patch(CONFIGMAPS, NS, 'f1', merge, { data: { b: '3' } }, o);
    assert.deepEqual(patched.data, { a: '2', b: '3' });
    await leader.create(PODS, NS, pod('p1'), o);
    await leader.bind(NS, 'p1', 'node-1', o);
    const bound = await other.get<KubeObject>(PODS, NS, 'p1');
    assert.equal((bound.spec as { nodeName?: string }).nodeName, 'node-1');
    const st = await leader.update(PODS, NS, { ...bound, status: { phase: 'Running' } },
      { ...o, subresource: 'status' });
    assert.equal((st.status as { phase?: string }).phase, 'Running');
    const del = await leader.delete(CONFIGMAPS, NS, 'f1', o);
    assert.equal(del.deleted, true);
    await rejection(other.get(CONFIGMAPS, NS, 'f1')).then((e) => assert.equal(e.code, 404));
  });

  it('renewals by the holder keep the fence valid', async () => {
    const fence = await acquire('renew', 'a');
    for (let i = 1; i <= 3; i++) {
      const cur = await other.get<Lease>(LEASES, LEASE_NS, 'renew');
      const renewTime = `2026-01-01T00:00:0${i}.000000Z`;
      // The holder renews with its own fence, as an elector does.
      await leader.update(LEASES, LEASE_NS, { ...cur, spec: { ...cur.spec, renewTime } }, { fence });
    }
    const renewed = await other.get<Lease>(LEASES, LEASE_NS, 'renew');
    assert.notEqual(renewed.metadata.resourceVersion, fence.revision);
    await leader.create(CONFIGMAPS, NS, cm('after-renewals'), { fence });
  });

  it('after another holder takes the lease, the old fence is refused on every verb', async () => {
    const fence = await acquire('taken', 'a');
    const o = { fence };
    await other.create(CONFIGMAPS, NS, cm('keep'));
    await other.create(PODS, NS, pod('unbound'));
    await other.create(PODS, NS, pod('running', 'node-1'));
    const cur = await other.get<Lease>(LEASES, LEASE_NS, 'taken');
    const took = await other.update(LEASES, LEASE_NS, { ...cur, spec: { ...cur.spec, holderIdentity: 'b' } });
    const before = await snapshot();
    const merge = 'application/merge-patch+json';
    const keep = await other.get<KubeObject>(CONFIGMAPS, NS, 'keep');
    const running = await other.get<KubeObject>(PODS, NS, 'running');
    const apply = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\ndata:\n  z: "9"\n';
    // One at a time: each call starts only when the previous refusal has been checked.
    const attempts: [string, () => Promise<unknown>][] = [
      ['create', () => leader.create(CONFIGMAPS, NS, cm('new'), o)],
      ['update', () => leader.update(CONFIGMAPS, NS, { ...keep, data: { a: 'x' } }, o)],
      ['patch', () => leader.patch(CONFIGMAPS, NS, 'keep', merge, { data: { a: 'y' } }, o)],
      ['apply', () => leader.patch(CONFIGMAPS, NS, 'keep', 'application/apply-patch+yaml', apply,
        { ...o, fieldManager: 'leader', force: true })],
      ['apply-create', () => leader.patch(CONFIGMAPS, NS, 'applied', 'application/apply-patch+yaml',
        apply.replace('name: keep', 'name: applied'), { ...o, fieldManager: 'leader' })],
      ['delete', () => leader.delete(CONFIGMAPS, NS, 'keep', o)],
      ['graceful delete', () => leader.delete(PODS, NS, 'running', o)],
      ['bind', () => leader.bind(NS, 'unbound', 'node-2', o)],
      ['status', () => leader.update(PODS, NS, { ...running, status: { phase: 'Failed' } },
        { ...o, subresource: 'status' })],
      ['lease takeover', () => leader.update(LEASES, LEASE_NS, { ...took, spec: { ...took.spec, holderIdentity: 'a' } }, o)],
    ];
    for (const [verb, call] of attempts) {
      const err = await rejection(call());
      assert.equal(err.code, 403, `${verb}: ${err.message}`);
      assert.equal(err.reason, 'Forbidden', verb);
      assert.deepEqual(err.status.details, { name: 'taken', group: 'coordination.k8s.io', kind: 'leases' });
      assert.equal(err.message, `leases.coordination.k8s.io "taken" is held by another leader ` +
        `since revision ${took.metadata.resourceVersion}; this write carried fence revision ${fence.revision}`);
    }
    assert.deepEqual(await snapshot(), before, 'nothing changed in the store');
  });

  it('a deleted lease refuses its fences; a lease that never existed refuses any', async () => {
    const fence = await acquire('gone', 'a');
    await leader.create(CONFIGMAPS, NS, cm('before-delete'), { fence });
    await other.delete(LEASES, LEASE_NS, 'gone');
    const err = await rejection(leader.create(CONFIGMAPS, NS, cm('after-delete'), { fence }));
    assert.equal(err.code, 403);
    assert.match(err.message, /"gone" has no holder record/);
    const never = { namespace: LEASE_NS, name: 'never', revision: '1' };
    const err2 = await rejection(leader.create(CONFIGMAPS, NS, cm('never'), { fence: never }));
    assert.equal(err2.code, 403);
    assert.equal(err2.status.details?.name, 'never');
    for (const name of ['after-delete', 'never']) {
      await rejection(other.get(CONFIGMAPS, NS, name)).then((e) => assert.equal(e.code, 404));
    }
  });

  it('re-acquiring the lease (a new holder) gives a new fence that works', async () => {
    const first = await acquire('again', 'a');
    const cur = await other.get<Lease>(LEASES, LEASE_NS, 'again');
    const took = await other.update(LEASES, LEASE_NS, { ...cur, spec: { ...cur.spec, holderIdentity: 'b' } });
    await rejection(leader.create(CONFIGMAPS, NS, cm('by-a'), { fence: first }));
    await leader.create(CONFIGMAPS, NS, cm('by-b'), { fence: fenceOf(took) });
  });

  it('malformed fence metadata is 400 BadRequest and writes nothing', async () => {
    const bad: LeaderFence[] = [
      { namespace: 'Kube System', name: 'x', revision: '5' },
      { namespace: LEASE_NS, name: 'x', revision: '0' },
      { namespace: LEASE_NS, name: 'x', revision: 'abc' },
      { namespace: LEASE_NS, name: 'x', revision: '99999999999999999999' },
    ];
    for (const fence of bad) {
      const err = await rejection(leader.create(CONFIGMAPS, NS, cm('malformed'), { fence }));
      assert.equal(err.code, 400, JSON.stringify(fence));
      assert.equal(err.reason, 'BadRequest');
      assert.match(err.message, /malformed k8ts-fence metadata/);
    }
    await rejection(other.get(CONFIGMAPS, NS, 'malformed')).then((e) => assert.equal(e.code, 404));
  });

  it('unfenced writes behave as before', async () => {
    const made = await leader.create(CONFIGMAPS, NS, cm('plain'));
    await leader.update(CONFIGMAPS, NS, { ...made, data: { a: '5' } });
    assert.equal((await leader.delete(CONFIGMAPS, NS, 'plain')).deleted, true);
  });

  /** snapshot reads back what the refused writes could have touched. */
  async function snapshot(): Promise<unknown> {
    const cms = await other.list(CONFIGMAPS, NS);
    const pods = await other.list(PODS, NS);
    const leases = await other.list(LEASES, LEASE_NS);
    return [cms.items, pods.items, leases.items];
  }
});
