/**
 * MemoryStorage keeps the Storage contract the registry relies on: revisions as resourceVersion,
 * create-iff-absent, read-modify-write, paged lists, watches from now and from a revision (410
 * when too old), predicate transitions as ADDED/DELETED, and fences checked with the write.
 */
import assert from 'node:assert/strict';
import { rejection } from '../../support/status.js';
import { StatusError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { StorageWatchEvent } from '../../../src/apiserver/storage/types.js';
import { MemoryStorage } from '../../../src/sim/control-plane/memory-storage.js';

const pod = (name: string, labels: Record<string, string> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', labels } });
const key = (name: string) => `/registry/pods/ns/${name}`;

function collect(s: MemoryStorage, rv?: string, predicate?: (o: KubeObject) => boolean) {
  const events: StorageWatchEvent[] = [];
  const errors: Error[] = [];
  const w = s.watch('/registry/pods/', { resourceVersion: rv, ...(predicate ? { predicate } : {}) },
    (e) => { events.push(e); }, (e) => errors.push(e));
  return { events, errors, w };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('sim: MemoryStorage', () => {
  it('stamps revisions, creates iff absent, updates and deletes with NotFound after', async () => {
    const s = new MemoryStorage();
    const a = await s.create(key('a'), pod('a'));
    assert.equal(a.metadata.resourceVersion, '2');
    assert.equal((await rejection(s.create(key('a'), pod('a')))).reason, 'AlreadyExists');
    const b = await s.guaranteedUpdate(key('a'), (x) => ({ ...x, spec: { n: 1 } }));
    assert.equal(b.metadata.resourceVersion, '3');
    const same = await s.guaranteedUpdate(key('a'), (x) => x);
    assert.equal(same.metadata.resourceVersion, '3', 'a no-op writes nothing');
    const gone = await s.delete(key('a'));
    assert.equal(gone.metadata.resourceVersion, '4');
    assert.equal((await rejection(s.guaranteedUpdate(key('a'), (x) => x))).code, 404);
  });

  it('lists in key order, in pages with continue tokens', async () => {
    const s = new MemoryStorage();
    for (const n of ['c', 'a', 'b']) await s.create(key(n), pod(n));
    const p1 = await s.list('/registry/pods/ns/', { limit: 2 });
    assert.deepEqual(p1.items.map((o) => o.metadata.name), ['a', 'b']);
    const p2 = await s.list('/registry/pods/ns/', { limit: 2, continueToken: p1.continueToken });
    assert.deepEqual(p2.items.map((o) => o.metadata.name), ['c']);
    assert.equal(p2.continueToken, undefined);
  });

  it('watches from now (state as ADDED) and from a revision; predicate changes are ADDED/DELETED', async () => {
    const s = new MemoryStorage();
    const a = await s.create(key('a'), pod('a', { app: 'x' }));
    const fromNow = collect(s, '0');
    const fromRv = collect(s, a.metadata.resourceVersion, (o) => o.metadata.labels?.app === 'x');
    await s.guaranteedUpdate(key('a'), (o) => ({ ...o, metadata: { ...o.metadata, labels: { app: 'y' } } }));
    await s.guaranteedUpdate(key('a'), (o) => ({ ...o, metadata: { ...o.metadata, labels: { app: 'x' } } }));
    await tick();
    assert.deepEqual(fromNow.events.map((e) => e.type), ['ADDED', 'MODIFIED', 'MODIFIED']);
    assert.deepEqual(fromRv.events.map((e) => e.type), ['DELETED', 'ADDED']);
    fromNow.w.stop();
    await s.delete(key('a'));
    await tick();
    assert.equal(fromNow.events.length, 3, 'a stopped watch gets nothing');
    assert.deepEqual(fromRv.events.map((e) => e.type), ['DELETED', 'ADDED', 'DELETED']);
  });

  it('a watch from before the kept history ends with 410 Expired', async () => {
    const s = new MemoryStorage({ historyMax: 10 });
    await s.create(key('a'), pod('a'));
    for (let i = 0; i <= 10; i++) await s.guaranteedUpdate(key('a'), (o) => ({ ...o, spec: { i } }));
    const w = collect(s, '2');
    await tick();
    assert.equal((w.errors[0] as StatusError | undefined)?.code, 410);
  });

  it('a fence that no longer matches refuses the write and changes nothing', async () => {
    const s = new MemoryStorage();
    const refuse = (cur: number) => new StatusError(403, 'Forbidden', `fenced at ${cur}`);
    const lease = await s.create('/registry/leases/kube-system/l', pod('l'), {
      companion: () => ({ type: 'put', key: '/registry/leasefences/kube-system/l', value: 'm1' }),
    });
    const fence = { key: '/registry/leasefences/kube-system/l', modRevision: Number(lease.metadata.resourceVersion), refuse };
    await s.create(key('ok'), pod('ok'), { fence });
    await s.guaranteedUpdate('/registry/leases/kube-system/l', (o) => ({ ...o, spec: { holderIdentity: 'm2' } }), {
      companion: () => ({ type: 'put', key: '/registry/leasefences/kube-system/l', value: 'm2' }),
    });
    assert.equal((await rejection(s.create(key('no'), pod('no'), { fence }))).code, 403);
    assert.equal(await s.get(key('no')), undefined);
  });
});
