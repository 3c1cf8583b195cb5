/**
 * Watches through the watch cache, as kubectl and informers see them (kubectl-wire.md §6):
 * rv "0" → ADDED snapshot then changes; rv N → changes after N; too old → 410 Expired;
 * selectors turn "stopped matching" into DELETED; bookmarks; slow watchers are cut off.
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import { StatusError } from '../../../src/api/errors.js';
import { Events, pod, rvOf, sleep, waitUntil, type SuiteContext } from './suite.js';

export function watchTests(ctx: SuiteContext): void {
  describe('watches', () => {
    it('rv "0" sends the current objects as ADDED, then live changes in order', async () => {
      const s = ctx.storage();
      await s.create(ctx.key('a'), pod(ctx.ns(), 'a'));
      await s.create(ctx.key('b'), pod(ctx.ns(), 'b'));
      const ev = new Events();
      const w = s.watch(ctx.prefix(), { resourceVersion: '0' }, ev.onEvent, ev.onError);
      await ev.until(2);
      assert.deepEqual([...ev.summary()].sort(), ['ADDED a', 'ADDED b']);
      const upd = await s.guaranteedUpdate(ctx.key('a'), (c) => ({ ...c, spec: { n: 1 } }));
      const del = await s.delete(ctx.key('b'));
      await s.create(ctx.key('c'), pod(ctx.ns(), 'c'));
      await ev.until(5);
      assert.deepEqual(ev.summary().slice(2), ['MODIFIED a', 'DELETED b', 'ADDED c']);
      assert.equal(ev.events[2]?.object.metadata.resourceVersion, upd.metadata.resourceVersion);
      assert.equal(ev.events[3]?.object.metadata.resourceVersion, del.metadata.resourceVersion);
      const uid = `uid-${ctx.ns()}-b`;
      assert.equal(ev.events[3]?.object.metadata.uid, uid, 'DELETED carries the last state');
      w.stop();
    });

    it('a watch of one namespace sees only its keys; unset rv behaves as "0"', async () => {
      const s = ctx.storage();
      await s.create(ctx.key('mine'), pod(ctx.ns(), 'mine'));
      await s.create(`/registry/pods/${ctx.ns()}x/other`, pod(`${ctx.ns()}x`, 'other'));
      const ev = new Events();
      s.watch(ctx.prefix(), {}, ev.onEvent, ev.onError);
      await ev.until(1);
      await s.create(`/registry/pods/${ctx.ns()}x/other2`, pod(`${ctx.ns()}x`, 'other2'));
      await s.create(ctx.key('mine2'), pod(ctx.ns(), 'mine2'));
      await ev.until(2);
      assert.deepEqual(ev.summary(), ['ADDED mine', 'ADDED mine2']);
    });

    it('rv N replays the changes after N, then goes live', async () => {
      const s = ctx.storage();
      await s.cacheFor(ctx.prefix()).waitReady();
      const a = await s.create(ctx.key('a'), pod(ctx.ns(), 'a'));
      await s.guaranteedUpdate(ctx.key('a'), (c) => ({ ...c, spec: { n: 1 } }));
      await s.create(ctx.key('b'), pod(ctx.ns(), 'b'));
      const ev = new Events();
      s.watch(ctx.prefix(), { resourceVersion: String(rvOf(a)) }, ev.onEvent, ev.onError);
      await ev.until(2);
      await s.delete(ctx.key('a'));
      await ev.until(3);
      assert.deepEqual(ev.summary(), ['MODIFIED a', 'ADDED b', 'DELETED a']);
    });

    it('rv older than the cache\'s history is an ERROR 410 Expired', async () => {
      const s = ctx.storage({ historyEvents: 5 });
      await s.cacheFor(ctx.prefix()).waitReady();
      const first = await s.create(ctx.key('h'), pod(ctx.ns(), 'h'));
      for (let i = 1; i <= 8; i++) {
        await s.guaranteedUpdate(ctx.key('h'), (c) => ({ ...c, spec: { n: i } }));
      }
      await s.waitUntilFresh(ctx.prefix(), rvOf(first) + 8);
      const ev = new Events();
      s.watch(ctx.prefix(), { resourceVersion: String(rvOf(first)) }, ev.onEvent, ev.onError);
      const err = await ev.untilError();
      assert.ok(err instanceof StatusError);
      assert.equal(err.code, 410);
      assert.equal(err.reason, 'Expired');
      const text = `^too old resource version: ${rvOf(first)} \\(\\d+\\)$`;
      assert.match(err.message, new RegExp(text));
      assert.equal(ev.events.length, 0);
    });

    it('a selector: "stops matching" is DELETED, "starts matching" is ADDED', async () => {
      const s = ctx.storage();
      await s.create(ctx.key('s'), pod(ctx.ns(), 's', { app: 'web' }));
      const predicate = (o: KubeObject) => o.metadata.labels?.app === 'web';
      const ev = new Events();
      s.watch(ctx.prefix(), { resourceVersion: '0', predicate }, ev.onEvent, ev.onError);
      await ev.until(1);
      const relabel = (app: string) => (c: KubeObject) =>
        ({ ...c, metadata: { ...c.metadata, labels: { app } } });
      const off = await s.guaranteedUpdate(ctx.key('s'), relabel('db'));
      await s.guaranteedUpdate(ctx.key('s'), relabel('db2'));
      await s.guaranteedUpdate(ctx.key('s'), relabel('web'));
      await ev.until(3);
      assert.deepEqual(ev.summary(), ['ADDED s', 'DELETED s', 'ADDED s']);
      const deleted = ev.events[1]!.object;
      assert.equal(deleted.metadata.labels?.app, 'web', 'DELETED shows the last matching state');
      assert.equal(deleted.metadata.resourceVersion, off.metadata.resourceVersion);
    });

    it('bookmarks carry kind, apiVersion and the cache\'s revision', async () => {
      const s = ctx.storage({ bookmarkIntervalMs: 50 });
      const predicate = (o: KubeObject) => o.metadata.name === 'never';
      const ev = new Events();
      const opts = { resourceVersion: '0', predicate, bookmarks: true };
      s.watch(ctx.prefix(), opts, ev.onEvent, ev.onError);
      const plain = new Events();
      s.watch(ctx.prefix(), { resourceVersion: '0', predicate }, plain.onEvent, plain.onError);
      const w = await s.create(ctx.key('x'), pod(ctx.ns(), 'x'));
      await waitUntil('a bookmark at the write', () =>
        ev.events.some((e) => e.type === 'BOOKMARK' && rvOf(e.object) >= rvOf(w)));
      const b = ev.events.find((e) => e.type === 'BOOKMARK')!;
      assert.deepEqual(Object.keys(b.object).sort(), ['apiVersion', 'kind', 'metadata']);
      assert.equal(b.object.kind, 'Pod');
      assert.equal(b.object.apiVersion, 'v1');
      assert.ok(ev.events.every((e) => e.type === 'BOOKMARK'));
      assert.equal(plain.events.length, 0, 'no bookmarks unless asked');
    });

    it('a watcher that falls too far behind is terminated; others go on', async () => {
      const s = ctx.storage({ watcherBufferEvents: 5 });
      const cache = s.cacheFor(ctx.prefix());
      await cache.waitReady();
      const slow = new Events();
      slow.accept = false; // the consumer is backed up after its first event and never resumes
      const fast = new Events();
      s.watch(ctx.prefix(), { resourceVersion: '0' }, slow.onEvent, slow.onError);
      s.watch(ctx.prefix(), { resourceVersion: '0' }, fast.onEvent, fast.onError);
      const base = cache.watcherCount;
      for (let i = 0; i < 10; i++) await s.create(ctx.key(`o${i}`), pod(ctx.ns(), `o${i}`));
      const err = await slow.untilError();
      assert.ok(err instanceof StatusError);
      assert.equal(err.code, 500);
      assert.match(err.message, /fell more than 5 events behind/);
      assert.equal(slow.events.length, 1);
      await fast.until(10);
      assert.equal(cache.watcherCount, base - 1);
    });

    it('a paused watcher resumes where it stopped', async () => {
      const s = ctx.storage();
      await s.cacheFor(ctx.prefix()).waitReady();
      const ev = new Events();
      ev.accept = false;
      const w = s.watch(ctx.prefix(), { resourceVersion: '0' }, ev.onEvent, ev.onError);
      for (let i = 0; i < 3; i++) await s.create(ctx.key(`r${i}`), pod(ctx.ns(), `r${i}`));
      await ev.until(1);
      await sleep(50);
      assert.equal(ev.events.length, 1);
      ev.accept = true;
      w.resume?.();
      await ev.until(3);
      assert.deepEqual(ev.summary(), ['ADDED r0', 'ADDED r1', 'ADDED r2']);
    });

    it('a watch from a future revision waits for it, then 504 if it never comes', async () => {
      const s = ctx.storage({ freshTimeoutMs: 300 });
      const cur = await s.create(ctx.key('z'), pod(ctx.ns(), 'z'));
      const soon = new Events();
      s.watch(ctx.prefix(), { resourceVersion: String(rvOf(cur) + 1) }, soon.onEvent, soon.onError);
      await s.create(ctx.key('z2'), pod(ctx.ns(), 'z2'));
      await s.create(ctx.key('z3'), pod(ctx.ns(), 'z3'));
      await soon.until(1);
      assert.deepEqual(soon.summary(), ['ADDED z3']);
      const never = new Events();
      const far = { resourceVersion: String(rvOf(cur) + 10_000) };
      s.watch(ctx.prefix(), far, never.onEvent, never.onError);
      const err = await never.untilError();
      assert.ok(err instanceof StatusError);
      assert.equal(err.code, 504);
    });
  });
}
