/**
 * WatchCache against a scripted store client: what the real stores cannot be made to do on cue —
 * a store watch canceled as compacted (the cache relists and ends client watches with 410), a
 * broken store watch (re-created from the next revision, clients keep going), and progress
 * notifications moving freshness and bookmarks forward.
 */
import assert from 'node:assert/strict';
import { StatusError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { systemClock } from '../../../src/base/clock.js';
import { SimClock } from '../../../src/sim/clock.js';
import { WatchCache } from '../../../src/apiserver/storage/watch-cache.js';
import {
  CompactedError,
  EtcdClient,
  EtcdClientError,
  type GetResult,
  type KeyValue,
  type WatchBatch,
  type Watcher,
} from '../../../src/store/client/index.js';
import { Events, waitUntil } from './suite.js';

const header = (revision: number) => ({ clusterId: 0n, memberId: 0n, revision, raftTerm: 1 });
const kv = (name: string, rev: number, node?: string): KeyValue => ({
  key: Buffer.from(`/registry/pods/ns/${name}`),
  value: Buffer.from(JSON.stringify({ metadata: { name },
    ...(node !== undefined ? { spec: { nodeName: node } } : {}) })),
  createRevision: rev,
  modRevision: rev,
  version: 1,
  lease: 0n,
});

/** FakeWatch is one store watch the test drives by hand. */
class FakeWatch {
  next: number;
  onBatch: ((b: WatchBatch) => void) | undefined;
  onEnd: ((e?: EtcdClientError) => void) | undefined;
  progressRequests = 0;
  constructor(readonly start: number) {
    this.next = start;
  }
  subscribe(onBatch: (b: WatchBatch) => void, onEnd: (e?: EtcdClientError) => void): this {
    this.onBatch = onBatch;
    this.onEnd = onEnd;
    return this;
  }
  nextRevision(): number {
    return this.next;
  }
  requestProgress(): void {
    this.progressRequests++;
  }
  cancel(): void {}
  put(name: string, rev: number, node?: string): void {
    this.next = rev + 1;
    const events = [{ type: 'put' as const, kv: kv(name, rev, node) }];
    this.onBatch?.({ header: header(rev), revision: rev, events, progress: false });
  }
  delete(name: string, rev: number): void {
    this.next = rev + 1;
    const events = [{ type: 'delete' as const, kv: { ...kv(name, rev), value: Buffer.alloc(0) } }];
    this.onBatch?.({ header: header(rev), revision: rev, events, progress: false });
  }
  progress(rev: number): void {
    this.onBatch?.({ header: header(rev), revision: rev, events: [], progress: true });
  }
}

/** FakeClient lists `objects` at `revision` and records the watches the cache opens. */
class FakeClient {
  revision = 10;
  objects: KeyValue[] = [kv('a', 5)];
  lists = 0;
  watches: FakeWatch[] = [];
  get(): Promise<GetResult> {
    this.lists++;
    const kvs = [...this.objects];
    const revision = this.revision;
    const count = kvs.length;
    return Promise.resolve({ header: header(revision), revision, kvs, more: false, count });
  }
  watch(_key: string, o: { startRevision: number }): Watcher {
    const w = new FakeWatch(o.startRevision);
    this.watches.push(w);
    return w as unknown as Watcher;
  }
  last(): FakeWatch {
    const w = this.watches[this.watches.length - 1];
    assert.ok(w, 'no store watch yet');
    return w;
  }
}

type CacheOptions = ConstructorParameters<typeof WatchCache>[0];

function cacheOver(client: FakeClient, extra: Partial<CacheOptions> = {}): WatchCache {
  const cache = new WatchCache({
    client: client as unknown as EtcdClient,
    prefix: '/registry/pods/',
    clock: systemClock,
    objectType: { kind: 'Pod', apiVersion: 'v1' },
    retryMs: 10,
    ...extra,
  });
  cache.start();
  return cache;
}

describe('WatchCache over a scripted store', () => {
  let cache: WatchCache | undefined;
  afterEach(() => cache?.close());

  it('watches the store from the list revision + 1 with one watch', async () => {
    const client = new FakeClient();
    cache = cacheOver(client);
    await cache.waitReady();
    assert.equal(client.watches.length, 1);
    assert.equal(client.last().start, 11);
    assert.equal(cache.revision, 10);
    const rvs = cache.list('/registry/pods/').items.map((o) => o.metadata.resourceVersion);
    assert.deepEqual(rvs, ['5']);
  });

  it('keeps the stored value of each cached object, listed or watched', async () => {
    const client = new FakeClient();
    cache = cacheOver(client);
    await cache.waitReady();
    const listed = cache.peek('/registry/pods/ns/a');
    assert.ok(listed);
    assert.deepEqual(cache.storedValue(listed), client.objects[0]?.value);
    client.last().put('b', 11);
    const watched = cache.peek('/registry/pods/ns/b');
    assert.ok(watched);
    const value = cache.storedValue(watched);
    assert.equal(value?.toString(), JSON.stringify({ metadata: { name: 'b' } }));
  });

  it('a compacted store watch relists and ends client watches with 410', async () => {
    const client = new FakeClient();
    cache = cacheOver(client);
    await cache.waitReady();
    const ev = new Events();
    cache.watch('/registry/pods/', { revision: 0, bookmarks: false }, ev.onEvent, ev.onError);
    await ev.until(1);
    client.revision = 30;
    client.objects = [kv('a', 5), kv('b', 25)];
    client.last().onEnd?.(new CompactedError('compacted', 20));
    const err = await ev.untilError();
    assert.ok(err instanceof StatusError && err.code === 410);
    assert.equal(client.lists, 2);
    assert.equal(cache.revision, 30);
    assert.equal(client.last().start, 31);
    assert.equal(cache.list('/registry/pods/').items.length, 2);
  });

  it('a broken store watch is re-created from the next revision; clients keep going', async () => {
    const client = new FakeClient();
    cache = cacheOver(client);
    await cache.waitReady();
    const ev = new Events();
    cache.watch('/registry/pods/', { revision: 10, bookmarks: false }, ev.onEvent, ev.onError);
    client.last().put('b', 11);
    await ev.until(1);
    client.last().onEnd?.(new EtcdClientError('unavailable', 14, 'gone'));
    await waitUntil('a new store watch', () => client.watches.length === 2);
    assert.equal(client.last().start, 12);
    client.last().put('c', 12);
    await ev.until(2);
    assert.deepEqual(ev.summary(), ['ADDED b', 'ADDED c']);
    assert.equal(ev.error, undefined);
    assert.equal(client.lists, 1);
  });

  it('progress moves freshness; an unvouched answer does not when not trusted', async () => {
    const client = new FakeClient();
    cache = cacheOver(client, { trustProgressRequests: false, freshTimeoutMs: 2_000 });
    await cache.waitReady();
    const fresh = cache.waitUntilFresh(15);
    await new Promise((r) => setImmediate(r));
    assert.ok(client.last().progressRequests >= 1, 'waiting asks the store for progress');
    client.last().progress(15); // nextRevision is still 11: not vouched for
    assert.equal(cache.revision, 10);
    client.last().next = 16; // a periodic notification for this watch moves the resume point
    client.last().progress(15);
    await fresh;
    assert.equal(cache.revision, 15);
  });

  it('bookmark watchers get the progress revision', async () => {
    const client = new FakeClient();
    cache = cacheOver(client);
    await cache.waitReady();
    const ev = new Events();
    cache.watch('/registry/pods/', { revision: 10, bookmarks: true }, ev.onEvent, ev.onError);
    await waitUntil('attached', () => cache?.watcherCount === 1);
    client.last().progress(40);
    await ev.until(1);
    assert.deepEqual(ev.events[0], {
      type: 'BOOKMARK',
      object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '40' } },
    });
  });

  it('a list demanding spec.nodeName = X reads only X\'s pods (index kept through moves, ' +
    'deletes and a relist)', async () => {
    const client = new FakeClient();
    client.objects = Array.from({ length: 100 }, (_, i) => kv(`p${i}`, 5, `n${i % 10}`));
    cache = cacheOver(client);
    await cache.waitReady();
    let tested = 0;
    const nodeOf = (o: KubeObject): string | undefined =>
      (o as { spec?: { nodeName?: string } }).spec?.nodeName;
    const onNode = (node: string) => ({
      predicate: (o: KubeObject): boolean => (tested++, nodeOf(o) === node),
      trigger: { field: 'spec.nodeName', value: node,
        fieldsOf: (o: KubeObject) => ({ 'spec.nodeName': nodeOf(o) }) },
    });
    const names = (node: string): string[] => {
      const { predicate, trigger } = onNode(node);
      return cache!.list('/registry/pods/', predicate, trigger).items.map((o) => o.metadata.name!);
    };
    assert.deepEqual(names('n3'), ['p13', 'p23', 'p3', 'p33', 'p43', 'p53', 'p63', 'p73', 'p83',
      'p93']);
    assert.equal(tested, 10, 'the predicate ran on n3\'s pods only');
    client.last().put('p13', 11, 'n4'); // moved
    client.last().delete('p23', 12);
    client.last().put('new', 13, 'n3');
    client.last().put('bare', 14); // no node: in no value's keys
    assert.deepEqual(names('n3'), ['new', 'p3', 'p33', 'p43', 'p53', 'p63', 'p73', 'p83', 'p93']);
    assert.ok(names('n4').includes('p13'));
    assert.deepEqual(names('nowhere'), []);
    client.revision = 30;
    client.objects = [kv('x', 25, 'n3'), kv('y', 26, 'n5')];
    client.last().onEnd?.(new CompactedError('compacted', 20));
    await waitUntil('relisted', () => cache?.revision === 30);
    tested = 0;
    assert.deepEqual(names('n3'), ['x']);
    assert.equal(tested, 1);
    assert.equal(cache.list('/registry/pods/').items.length, 2);
  });

  it('bookmark watchers hear from an idle cache every 15 s, so an idle watch resumes from a ' +
    'revision at most that old', async () => {
    const clock = new SimClock();
    const client = new FakeClient();
    cache = cacheOver(client, { clock });
    await cache.waitReady();
    const ev = new Events();
    cache.watch('/registry/pods/', { revision: 10, bookmarks: true }, ev.onEvent, ev.onError);
    await waitUntil('attached', () => cache?.watcherCount === 1);
    while ((clock.nextAtMs() ?? Infinity) <= 15_000) clock.step();
    await ev.until(1);
    assert.equal(ev.events[0]?.type, 'BOOKMARK');
    assert.ok(client.last().progressRequests >= 1, 'and asks the store for progress');
  });

  it('watches of one node resuming over the history compute each event\'s fields once and ' +
    'replay only that node\'s events', async () => {
    const client = new FakeClient();
    cache = cacheOver(client);
    await cache.waitReady();
    for (let i = 0; i < 100; i++) client.last().put(`p${i}`, 11 + i, `n${i % 10}`);
    let computed = 0;
    const fieldsOf = (o: KubeObject): Record<string, string | undefined> => {
      computed++;
      return { 'spec.nodeName': (o as { spec?: { nodeName?: string } }).spec?.nodeName };
    };
    const trigger = { field: 'spec.nodeName', value: 'n3', fieldsOf };
    const predicate = (o: KubeObject): boolean => fieldsOf(o)['spec.nodeName'] === 'n3';
    const all = Array.from({ length: 5 }, () => new Events());
    for (const ev of all) {
      cache.watch('/registry/pods/', { revision: 10, predicate, trigger, bookmarks: false },
        ev.onEvent, ev.onError);
    }
    for (const ev of all) await ev.until(10);
    for (const ev of all) {
      assert.deepEqual(ev.summary(), Array.from({ length: 10 }, (_, k) => `ADDED p${k * 10 + 3}`));
    }
    // 100 events' fields once, then each watch's predicate on its node's 10 events only.
    assert.equal(computed, 100 + 5 * 10);
  });
});
