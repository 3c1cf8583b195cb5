/**
 * Batch calls' shared shape (batch.ts): one outcome per write, in order, each settled alone; and
 * CreateBatch's bound on creates in flight, so a batch of Events never holds more than a few of
 * its caller's flow-control seats (the caller's status writes or binds wait behind them).
 */
import assert from 'node:assert/strict';
import { badRequest } from '../../../src/api/errors.js';
import { eachAlone } from '../../../src/apiserver/grpc/batch.js';
import { CREATE_BATCH_PARALLEL, createBatch } from '../../../src/apiserver/grpc/create-batch.js';
import type { CreateRequest } from '../../../src/gen/k8ts/api/v1/api.js';

/** tracked: a write that takes a turn of the event loop and records how many run at once. */
function tracked(): { one: (n: number) => Promise<number>; maxAtOnce: () => number } {
  let now = 0;
  let max = 0;
  return {
    one: async (n) => {
      max = Math.max(max, ++now);
      await new Promise((r) => setImmediate(r));
      now--;
      if (n % 3 === 2) throw badRequest(`refused ${n}`);
      return n * 10;
    },
    maxAtOnce: () => max,
  };
}

describe('batch calls', () => {
  it('eachAlone answers one outcome per item, in order, at most parallelMax at once', async () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    for (const parallelMax of [1, 3, 256]) {
      const t = tracked();
      const out = await eachAlone('Test', items, t.one, () => {}, parallelMax);
      assert.deepEqual(out.map((o) => (o.ok ? o.value : 'refused')),
        items.map((n) => (n % 3 === 2 ? 'refused' : n * 10)));
      assert.equal(t.maxAtOnce(), Math.min(parallelMax, items.length));
    }
  });

  it('CreateBatch runs at most CREATE_BATCH_PARALLEL creates at once', async () => {
    const t = tracked();
    const creates = Array.from({ length: 40 }, (_, i) => ({ resource: String(i) }) as CreateRequest);
    const res = await createBatch({ creates }, async (c) => {
      const v = await t.one(Number(c.resource));
      return Buffer.from(String(v));
    }, () => {});
    assert.equal(res.results.length, 40);
    assert.equal(t.maxAtOnce(), CREATE_BATCH_PARALLEL);
    assert.equal(res.results[1]?.objectJson.toString(), '10');
    assert.match(res.results[2]?.statusJson.toString() ?? '', /refused 2/);
  });
});
