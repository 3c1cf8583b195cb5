/**
 * The garbage collector's shell with local test doubles: the client kit's real Indexer and
 * CacheLister as the informers' caches (filled by hand, so the cache can disagree with the
 * API), and an in-memory ComponentApi that counts calls. Checks what the pure plan cannot: live
 * reads happen only when the cache cannot vouch for an owner, an owner proved gone is not read
 * again for each of its dependents, and a dependent's removal wakes only owners waiting for it.
 */
import assert from 'node:assert/strict';
import { notFound } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { RESOURCES, type ResourceInfo } from '../../../src/api/resources.js';
import { systemClock } from '../../../src/base/clock.js';
import { Indexer } from '../../../src/client/cache/indexer.js';
import { keyOf } from '../../../src/client/cache/keys.js';
import { CacheLister } from '../../../src/client/cache/lister.js';
import type {
  EventHandlers,
  Informer,
  InformerFactory,
} from '../../../src/client/cache/types.js';
import type { ComponentApi } from '../../../src/client/component-api.js';
import type { ApiResource, DeleteOptions } from '../../../src/client/types.js';
import { GarbageCollector } from '../../../src/controllers/garbagecollector/controller.js';
import { FOREGROUND_FINALIZER } from '../../../src/controllers/garbagecollector/plan.js';
import { gcKeyOf } from '../../../src/controllers/garbagecollector/refs.js';
import { newWorkQueue } from '../../../src/client/workqueue/queue.js';
import type { WorkQueue } from '../../../src/client/workqueue/types.js';
import type { ControllerContext } from '../../../src/controllers/types.js';
import { obj, ref, res } from './fixtures.js';

/** FakeInformer: a hand-filled cache; put/remove run the handlers as an informer would. */
class FakeInformer implements Informer<KubeObject> {
  readonly indexer = new Indexer<KubeObject>();
  readonly lister = new CacheLister(this.indexer);
  private readonly handlers: EventHandlers<KubeObject>[] = [];
  constructor(readonly resource: ApiResource) {}
  addHandlers(h: EventHandlers<KubeObject>): () => void {
    this.handlers.push(h);
    return () => {
      const i = this.handlers.indexOf(h);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }
  addIndex(name: string, fn: (o: KubeObject) => string[]): void {
    this.indexer.addIndex(name, fn);
  }
  hasSynced(): boolean {
    return true;
  }
  lastSyncResourceVersion(): string {
    return '1';
  }
  put(o: KubeObject): void {
    const old = this.indexer.upsert(o);
    for (const h of this.handlers) {
      if (old === undefined) h.add?.(o);
      else h.update?.(old, o);
    }
  }
  remove(o: KubeObject): void {
    this.indexer.remove(keyOf(o));
    for (const h of this.handlers) h.delete?.(o);
  }
}

/** FakeApi: objects by "resource/ns/name"; get and delete are what the tests look at. */
class FakeApi {
  readonly objects = new Map<string, KubeObject>();
  readonly gets: string[] = [];
  readonly deletes: { key: string; o: DeleteOptions | undefined }[] = [];
  private k(r: ApiResource, ns: string | undefined, name: string): string {
    return `${r.resource}/${ns ?? ''}/${name}`;
  }
  add(r: ResourceInfo, o: KubeObject): void {
    this.objects.set(this.k(r, o.metadata.namespace, o.metadata.name ?? ''), o);
  }
  readonly api = {
    get: async (r: ApiResource, ns: string | undefined, name: string) => {
      this.gets.push(this.k(r, ns, name));
      const o = this.objects.get(this.k(r, ns, name));
      if (o === undefined) throw notFound({ group: r.group, resource: r.resource }, name);
      return o;
    },
    delete: async (r: ApiResource, ns: string | undefined, name: string, o?: DeleteOptions) => {
      const key = this.k(r, ns, name);
      this.deletes.push({ key, o });
      const cur = this.objects.get(key);
      if (cur === undefined) throw notFound({ group: r.group, resource: r.resource }, name);
      this.objects.delete(key);
      return { object: cur, deleted: true };
    },
  } as unknown as ComponentApi;
}

function harness(queue?: WorkQueue, resources: ResourceInfo[] | null = [res('pods'), res('replicasets')]) {
  const informers = new Map<string, FakeInformer>();
  const factory: InformerFactory = {
    informerFor: <T extends KubeObject>(r: ApiResource) => {
      let inf = informers.get(r.resource);
      if (inf === undefined) informers.set(r.resource, (inf = new FakeInformer(r)));
      return inf as unknown as Informer<T>;
    },
    start: () => {},
    waitForSync: async () => {},
    stop: () => {},
  };
  const fake = new FakeApi();
  const ctx: ControllerContext = {
    api: fake.api,
    informers: factory,
    clock: systemClock,
    wallMs: () => 0,
    events: () => ({ event: () => {} }),
    log: () => {},
    signal: new AbortController().signal,
  };
  const gc = new GarbageCollector(ctx, { ...(resources ? { resources } : {}), ...(queue ? { queue } : {}) });
  const inf = (plural: string) => informers.get(plural)!;
  return { gc, fake, inf, informers };
}

/** drain takes every ready key off the queue. */
async function drain(q: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (q.len() > 0) {
    const k = await q.get();
    if (k === undefined) break;
    keys.push(k);
    q.done(k);
  }
  return keys;
}

describe('garbage collector shell (local doubles)', () => {
  it('watches every served resource but events, as upstream ignores them by default', () => {
    const { informers } = harness(undefined, null); // the collector's default resources
    const watched = new Set(informers.keys());
    assert.ok(!watched.has('events'), 'events are not watched');
    for (const plural of ['pods', 'replicasets', 'deployments', 'leases', 'configmaps', 'nodes']) {
      assert.ok(watched.has(plural), `${plural} is watched`);
    }
    assert.equal(watched.size, RESOURCES.length - 1);
  });

  it('one live read proves an owner gone for all of its dependents', async () => {
    const { gc, fake, inf } = harness();
    const rs = obj('replicasets', 'rs');
    const pods = Array.from({ length: 50 }, (_, i) =>
      obj('pods', `p${i}`, { owners: [ref(rs, { block: true })], rv: `${100 + i}` }));
    for (const p of pods) {
      inf('pods').put(p);
      fake.add(res('pods'), p);
    }
    for (const p of pods) await gc.sync(gcKeyOf(res('pods'), p));
    assert.deepEqual(fake.gets, ['replicasets/default/rs']);
    assert.equal(fake.deletes.length, 50);
    assert.deepEqual(fake.deletes[7]!.o?.preconditions, { uid: 'uid-p7', resourceVersion: '107' });
    assert.equal(fake.deletes[7]!.o?.propagationPolicy, 'Background');
  });

  it('an owner only the API has (not the cache yet) is read each time, never gone', async () => {
    const { gc, fake, inf } = harness();
    const rs = obj('replicasets', 'rs');
    fake.add(res('replicasets'), rs);
    const pod = obj('pods', 'p', { owners: [ref(rs)] });
    inf('pods').put(pod);
    await gc.sync(gcKeyOf(res('pods'), pod));
    await gc.sync(gcKeyOf(res('pods'), pod));
    assert.deepEqual(fake.gets, ['replicasets/default/rs', 'replicasets/default/rs']);
    assert.deepEqual(fake.deletes, []);
    inf('replicasets').put(rs); // the cache catches up: no more live reads
    await gc.sync(gcKeyOf(res('pods'), pod));
    assert.equal(fake.gets.length, 2);
  });

  it('a dependent\'s removal wakes a waiting owner, and only a waiting one', async () => {
    const queue = newWorkQueue({ clock: systemClock, name: 'test' });
    const { inf } = harness(queue);
    const waiting = obj('replicasets', 'w', { deleting: true, finalizers: [FOREGROUND_FINALIZER] });
    const live = obj('replicasets', 'l');
    inf('replicasets').put(waiting);
    inf('replicasets').put(live);
    const p = obj('pods', 'p', { owners: [ref(waiting, { block: true }), ref(live)] });
    inf('pods').put(p);
    await drain(queue);
    inf('pods').remove(p);
    assert.deepEqual(await drain(queue), ['replicasets/default/w']);
    queue.shutDown();
  });
});
