/**
 * KeyOrder against a plain sorted array: inserts, removals, liveness flips, scans and live counts
 * over random latin1 keys, with the chunk invariants checked along the way.
 */
import assert from 'node:assert/strict';
import { Prng } from '../../../src/base/prng.js';
import { CHUNK_MAX, KeyOrder } from '../../../src/store/mvcc/key-order.js';

class Entry {
  constructor(readonly skey: string, public live: boolean) {}
  isLive(): boolean { return this.live; }
}

describe('store: KeyOrder', () => {
  it('keeps byte order, live counts and scans equal to a sorted array (seeded)', () => {
    const rng = new Prng(42);
    const order = new KeyOrder<Entry>(4);
    const ref = new Map<string, Entry>();
    const key = (): string => String.fromCharCode(...Array.from({ length: rng.range(1, 3) }, () => rng.pick([0x00, 0x41, 0x61, 0x7f, 0x80, 0xff, rng.int(256)])));
    for (let step = 0; step < 4_000; step++) {
      const k = key();
      const e = ref.get(k);
      if (e === undefined) {
        const fresh = new Entry(k, rng.chance(0.7));
        order.insert(fresh);
        ref.set(k, fresh);
      } else if (rng.chance(0.3)) {
        order.remove(k);
        ref.delete(k);
      } else {
        e.live = !e.live;
        order.liveChanged(k, e.live ? 1 : -1);
      }
      if (step % 500 === 0) order.checkInvariants();
      const a = key();
      const bnd = rng.chance(0.2) ? undefined : key();
      const sorted = [...ref.keys()].sort().filter((x) => x >= a && (bnd === undefined || x < bnd));
      const seen: string[] = [];
      const limit = rng.range(1, 50);
      order.scan(a, bnd, (x) => { seen.push(x.skey); return seen.length < limit; });
      assert.deepEqual(seen, sorted.slice(0, limit));
      assert.equal(order.countLive(a, bnd), sorted.filter((x) => ref.get(x)?.live).length);
    }
    order.checkInvariants();
    assert.equal(order.size(), ref.size);
  });

  it('splits into chunks of at most CHUNK_MAX keys when filled in order and in reverse', () => {
    const order = new KeyOrder<Entry>();
    for (let i = 0; i < CHUNK_MAX * 5; i++) order.insert(new Entry(`k${String(i).padStart(6, '0')}`, true));
    for (let i = 0; i < CHUNK_MAX * 5; i++) order.insert(new Entry(`j${String(CHUNK_MAX * 5 - i).padStart(6, '0')}`, false));
    order.checkInvariants();
    assert.equal(order.countLive('\x00', undefined), CHUNK_MAX * 5);
  });
});
