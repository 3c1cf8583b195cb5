/**
 * Seeded randomized test of the watch hub over the real MvccState: random writes, compactions,
 * watchers with random ranges, filters and start revisions (past, now, future), streams that
 * stall, progress requests and ticks, in random interleavings with the hub's catch-up steps.
 * Every watcher must see exactly the history it asked for, in order, each revision whole; a
 * progress answer must never be followed by an event at or below its revision; no stream may
 * queue past its bound. A failure names its seed; replay with WATCH_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { WatchCreateRequest_FilterType as Filter } from '../../../src/gen/etcdserverpb/rpc.js';
import { Event_EventType as Type } from '../../../src/gen/mvccpb/kv.js';
import { Prng } from '../../../src/base/prng.js';
import type { RevisionEvents } from '../../../src/store/types.js';
import { inRange, keyRangeOf, type KeyRange } from '../../../src/store/watch/key-range.js';
import { Harness, type Client } from './support.js';

const KEYS = ['a', 'b', 'c', 'd', 'p/1', 'p/2', 'p/3', 'q'];

interface Model {
  client: Client;
  id: bigint;
  range: KeyRange;
  noPut: boolean;
  noDelete: boolean;
  prevKv: boolean;
  /** The first revision this watcher must see. */
  from: number;
  canceled: boolean;
}

interface Run {
  rng: Prng;
  h: Harness;
  clients: Client[];
  models: Model[];
  log: RevisionEvents[];
  nextId: bigint;
  maxPending: number;
  compacted: boolean;
  /** Every compaction revision (a tombstone at exactly one of them is gone from history). */
  compactRevs: Set<number>;
}

function setup(seed: number): Run {
  const rng = new Prng(seed);
  const maxPending = rng.pick([512, 2_048, 1 << 20]);
  const h = new Harness({
    progressIntervalMs: 1_000,
    limits: {
      maxPendingBytesPerStream: maxPending,
      maxEventsPerBatch: rng.pick([1, 3, 50]),
      maxRevisionsPerResponse: rng.pick([1, 2, 1_000]),
      maxResponseBytes: rng.pick([256, 8_192]),
      maxWatchersPerRun: rng.pick([1, 3, 512]),
    },
  });
  const log: RevisionEvents[] = [];
  h.store.state.onRevision = (ev) => {
    log.push(ev);
    h.hub.publish(ev);
  };
  const clients = [h.open(), h.open(), h.open()];
  return { rng, h, clients, models: [], log, nextId: 1n, maxPending, compacted: false, compactRevs: new Set() };
}

function randomRange(rng: Prng): [string, string] {
  return rng.pick<[string, string]>([
    [rng.pick(KEYS), ''],
    ['p/', 'p0'],
    ['b', 'p/3'],
    ['c', '\x00'],
    ['', '\x00'],
  ]);
}

function createWatcher(r: Run): void {
  const { rng, h } = r;
  const client = rng.pick(r.clients);
  const [key, end] = randomRange(rng);
  const cur = h.hub.revision();
  const mode = rng.int(10);
  const start = mode < 4 ? 0 : mode < 8 ? rng.range(1, cur) : rng.range(cur + 1, cur + 6);
  const noPut = rng.chance(0.15);
  const noDelete = rng.chance(0.15);
  const prevKv = rng.chance(0.5);
  const filters = [...(noPut ? [Filter.NOPUT] : []), ...(noDelete ? [Filter.NODELETE] : [])];
  const id = r.nextId++;
  client.create({
    key, end, startRevision: BigInt(start), filters, prevKv, watchId: id,
    progressNotify: rng.chance(0.5),
  });
  const range = keyRangeOf(Buffer.from(key, 'latin1'), Buffer.from(end, 'latin1'));
  assert.ok(range !== undefined);
  const from = start === 0 ? cur + 1 : start;
  r.models.push({ client, id, range, noPut, noDelete, prevKv, from, canceled: false });
}

function write(r: Run): void {
  const { rng, h } = r;
  const k = rng.int(10);
  const v = 'v'.repeat(rng.range(1, 40)) + rng.int(1000);
  if (k < 5) h.store.put(rng.pick(KEYS), v);
  else if (k < 7) h.store.txn(pickDistinct(rng, rng.range(1, 4)).map((key) =>
    rng.chance(0.7) ? { put: [key, v] as [string, string] } : { del: key }));
  else if (k < 8) h.store.del('p/', 'p0');
  else if (k < 9) h.store.del(rng.pick(KEYS));
  else {
    const cur = h.store.state.revision();
    const low = h.store.state.compactRevision() + 1;
    if (cur > low + 20 && rng.chance(0.25)) {
      const at = rng.range(low, cur - 15);
      h.store.compact(at);
      r.compacted = true;
      r.compactRevs.add(at);
    }
  }
}

function pickDistinct(rng: Prng, n: number): string[] {
  const keys = [...KEYS];
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(keys.splice(rng.int(keys.length), 1)[0] as string);
  return out;
}

function step(r: Run): void {
  const { rng, h } = r;
  const k = rng.int(100);
  if (k < 45) write(r);
  else if (k < 55) createWatcher(r);
  else if (k < 59) {
    const live = r.models.filter((m) => !m.canceled);
    if (live.length > 0) {
      const m = rng.pick(live);
      m.canceled = true;
      m.client.cancel(m.id);
    }
  } else if (k < 67) {
    const c = rng.pick(r.clients);
    c.stalled = !c.stalled;
  } else if (k < 80) h.runOnce();
  else if (k < 88) rng.pick(r.clients).drain(rng.range(1, 5));
  else if (k < 94) {
    h.nowMs += rng.range(100, 1_500);
    h.hub.tick();
  } else rng.pick(r.clients).progress();
  for (const c of r.clients) {
    const bound = r.maxPending + 16 * 1024;
    assert.ok(c.stream.pendingBytes() <= bound, `stream queued ${c.stream.pendingBytes()} > ${bound}`);
  }
}

type Ev = { rev: number; type: number; key: string; value: string; prev?: string };

function expected(r: Run, m: Model): Ev[] {
  const out: Ev[] = [];
  for (const rev of r.log) {
    if (rev.revision < m.from) continue;
    for (const e of rev.events) {
      const kv = e.kv;
      assert.ok(kv !== undefined);
      if (e.type === Type.PUT ? m.noPut : m.noDelete) continue;
      if (!inRange(m.range, kv.key.toString('latin1'))) continue;
      out.push({
        rev: rev.revision, type: e.type, key: kv.key.toString('latin1'), value: kv.value.toString('latin1'),
        ...(m.prevKv && e.prevKv !== undefined ? { prev: e.prevKv.value.toString('latin1') } : {}),
      });
    }
  }
  return out;
}

/** checkWatcher compares what one watcher received with the reference log. */
function checkWatcher(r: Run, m: Model): void {
  const got = m.client.eventsOf(m.id);
  const want = withoutLostTombstones(r, expected(r, m), got);
  const compactedCancel = m.client.received.find((x) => x.watchId === m.id && x.compactRevision > 0n);
  const cut = compactedCancel !== undefined || m.canceled;
  if (!cut) assert.equal(got.length, want.length, `watch ${m.id}: event count`);
  assert.ok(got.length <= want.length, `watch ${m.id}: more events than history`);
  for (const [i, g] of got.entries()) {
    const w = want[i];
    assert.ok(w !== undefined);
    const { prev: gp, ...gRest } = g;
    const { prev: wp, ...wRest } = w;
    assert.deepEqual(gRest, wRest, `watch ${m.id}: event ${i}`);
    // After a compaction the superseded version may be gone from history (etcd: same).
    if (gp !== undefined || !r.compacted) assert.equal(gp, wp, `watch ${m.id}: prev_kv of event ${i}`);
  }
  if (compactedCancel !== undefined) {
    assert.ok((got.at(-1)?.rev ?? 0) < Number(compactedCancel.compactRevision));
  }
}

/** withoutLostTombstones drops from `want` the DELETE events at exactly a compaction revision
 *  that `got` lacks: compaction removes tombstones at its revision, so a watcher reading that
 *  revision from history does not see them (etcd's keyIndex.compact does the same, and its
 *  watchers read the compacted backend). */
function withoutLostTombstones(r: Run, want: Ev[], got: Ev[]): Ev[] {
  const out: Ev[] = [];
  let gi = 0;
  for (const w of want) {
    const g = got[gi];
    const same = g !== undefined && g.rev === w.rev && g.key === w.key && g.type === w.type;
    if (!same && w.type === Type.DELETE && r.compactRevs.has(w.rev)) continue;
    out.push(w);
    if (g !== undefined) gi++;
  }
  return out;
}

/** checkStream checks order rules over one stream's responses: created before events, each
 *  revision in one response, nothing after canceled, no event at or below a progress answer. */
function checkStream(c: Client): void {
  const active = new Set<bigint>();
  const ended = new Set<bigint>();
  const floor = new Map<bigint, number>();
  const lastResponseRevs = new Map<bigint, Set<number>>();
  for (const resp of c.received) {
    const id = resp.watchId;
    const rev = Number(resp.header?.revision ?? 0n);
    if (resp.created) {
      if (!resp.canceled) active.add(id);
      continue;
    }
    if (resp.canceled) {
      active.delete(id);
      ended.add(id);
      continue;
    }
    if (resp.events.length === 0) {
      const ids = id === -1n ? [...active] : [id];
      for (const w of ids) floor.set(w, Math.max(floor.get(w) ?? 0, rev));
      continue;
    }
    assert.ok(active.has(id) && !ended.has(id), `events for watch ${id} outside created..canceled`);
    const revs = new Set(resp.events.map((e) => Number(e.kv?.modRevision)));
    const before = lastResponseRevs.get(id);
    for (const rv of revs) {
      assert.ok(rv > (floor.get(id) ?? 0), `watch ${id}: event at ${rv} after progress ${floor.get(id)}`);
      assert.ok(!(before?.has(rv) ?? false), `watch ${id}: revision ${rv} split across responses`);
    }
    lastResponseRevs.set(id, revs);
  }
}

function runSeed(seed: number): void {
  const r = setup(seed);
  const steps = 200 + r.rng.int(400);
  let maxParked = 0;
  for (let i = 0; i < steps; i++) {
    step(r);
    maxParked = Math.max(maxParked, r.h.hub.stats().parked);
  }
  for (const c of r.clients) c.stalled = false;
  r.h.settle(...r.clients);
  r.h.nowMs += 2_000;
  r.h.hub.tick();
  r.h.settle(...r.clients);
  for (const m of r.models) checkWatcher(r, m);
  if (process.env.WATCH_STATS) {
    const all = r.clients.flatMap((c) => c.received);
    console.log(JSON.stringify({ seed, models: r.models.length,
      compactedCancels: all.filter((x) => x.compactRevision > 0n).length,
      progress: all.filter((x) => !x.created && !x.canceled && x.events.length === 0).length,
      progressAll: all.filter((x) => x.watchId === -1n && !x.created).length,
      maxParked: maxParked }));
  }
  for (const c of r.clients) checkStream(c);
  const live = r.models.filter((m) => !m.canceled).length;
  const stats = r.h.hub.stats();
  assert.equal(stats.unsynced, 0, 'everything caught up');
  assert.ok(stats.synced <= live);
}

describe('watch hub: randomized (seeded)', () => {
  const only = process.env.WATCH_SEED;
  const count = Number(process.env.WATCH_SEEDS ?? 60);
  const seeds = only !== undefined ? [Number(only)] : Array.from({ length: count }, (_, i) => i + 1);
  for (const seed of seeds) {
    it(`seed ${seed}: every watcher sees exactly the history it asked for`, () => {
      try {
        runSeed(seed);
      } catch (err) {
        if (err instanceof Error) err.message = `seed ${seed}: ${err.message}`;
        throw err;
      }
    });
  }
});
