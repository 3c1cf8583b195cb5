/**
 * Behaviour at scale: 100k keys, 50k updates, Range with a limit, snapshot and restore of the
 * whole state reaching the same hash. The figures it prints (µs per put, ms per snapshot, heap
 * per key) are for reading only: speed is asserted by benchmarks (bench/), never by tests, since
 * a shared 2-core machine makes any time bound either flaky or too loose to mean anything.
 */
import assert from 'node:assert/strict';
import { RangeRequest, PutRequest } from '../../../src/gen/etcdserverpb/rpc.js';
import { MvccState } from '../../../src/store/apply/state.js';

const KEYS = 100_000;
const VALUE = Buffer.alloc(256, 'v');
const keyOf = (i: number): Buffer => Buffer.from(`/registry/pods/ns-${i % 100}/pod-${i}`);

function fill(state: MvccState, n: number, startIndex: number): number {
  let index = startIndex;
  for (let i = 0; i < n; i++) {
    state.apply(++index, { op: { $case: 'put', value: { ...PutRequest.fromPartial({}), key: keyOf(i), value: VALUE } } });
  }
  return index;
}

describe('store: performance at 100k keys', function () {
  this.timeout(30_000);

  it('applies 150k puts, pages a 100k-key range by its limit, and restores a snapshot to the same hash', () => {
    const state = new MvccState();
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let t = performance.now();
    let index = fill(state, KEYS, 0);
    const createUs = ((performance.now() - t) * 1000) / KEYS;
    globalThis.gc?.();
    const heapPerKey = (process.memoryUsage().heapUsed - heapBefore) / KEYS;

    t = performance.now();
    const updates = 50_000;
    for (let i = 0; i < updates; i++) {
      state.apply(++index, { op: { $case: 'put', value: { ...PutRequest.fromPartial({}), key: keyOf((i * 7919) % KEYS), value: VALUE } } });
    }
    const updateUs = ((performance.now() - t) * 1000) / updates;

    const page = { ...RangeRequest.fromPartial({}), key: Buffer.from('/registry/pods/'), rangeEnd: Buffer.from('/registry/pods0'), limit: 500n };
    t = performance.now();
    const ranges = 200;
    for (let i = 0; i < ranges; i++) {
      const resp = state.range(page);
      assert.equal(resp.kvs.length, 500);
      assert.equal(resp.count, BigInt(KEYS));
    }
    const rangeUs = ((performance.now() - t) * 1000) / ranges;

    const one = { ...RangeRequest.fromPartial({}), key: keyOf(4242) };
    t = performance.now();
    for (let i = 0; i < 10_000; i++) state.range(one);
    const getUs = (performance.now() - t) / 10;

    state.apply(++index, { op: { $case: 'compaction', value: { revision: BigInt(state.revision()), physical: false } } });
    t = performance.now();
    const image = state.snapshot();
    const snapMs = performance.now() - t;
    t = performance.now();
    const restored = new MvccState();
    restored.restore(image, index);
    const restoreMs = performance.now() - t;
    assert.deepEqual(restored.hashKV(0), state.hashKV(0));

    console.log(`      create ${createUs.toFixed(2)} µs/put, update ${updateUs.toFixed(2)} µs/put, ` +
      `range limit 500 of ${KEYS} ${rangeUs.toFixed(0)} µs, get ${getUs.toFixed(2)} µs, ` +
      `snapshot ${snapMs.toFixed(0)} ms (${(image.length / 1e6).toFixed(1)} MB), restore ${restoreMs.toFixed(0)} ms, ` +
      `heap ${heapPerKey.toFixed(0)} B/key (key ~32 B + value 256 B)`);
    assert.equal(restored.revision(), state.revision());
  });
});
