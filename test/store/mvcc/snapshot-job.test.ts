/**
 * Background snapshots: a snapshot job captures the state when it is created and packs it over
 * many small steps while the state keeps changing; its image must be exactly the image a
 * synchronous snapshot would have produced at capture time.
 */
import assert from 'node:assert/strict';
import { Prng } from '../../../src/base/prng.js';
import { PutRequest } from '../../../src/gen/etcdserverpb/rpc.js';
import type { StoreRequest } from '../../../src/gen/k8ts/store/v1/store.js';
import { MvccState } from '../../../src/store/apply/state.js';

function put(key: string, value: string): StoreRequest {
  return { op: { $case: 'put', value: PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }) } };
}

describe('snapshot jobs', () => {
  for (const seed of [1, 2, 3]) {
    it(`pack the state as it was when the job began, whatever is applied meanwhile (seed ${seed})`, () => {
      const prng = new Prng(seed);
      const s = new MvccState();
      let index = 0;
      const write = (): void => {
        const k = `/k/${prng.int(300)}`;
        if (prng.chance(0.15)) s.apply(++index, { op: { $case: 'deleteRange', value: { key: Buffer.from(k), rangeEnd: Buffer.alloc(0), prevKv: false } } });
        else s.apply(++index, put(k, `v${index}`));
      };
      for (let i = 0; i < 2000; i++) write();
      s.apply(++index, { op: { $case: 'compaction', value: { revision: BigInt(s.revision() - 500), physical: false } } });
      for (let i = 0; i < 300; i++) write();
      const expected = s.snapshot();
      const hashAtCapture = s.hashKV(0);
      const job = s.snapshotJob();
      let image: Buffer | undefined;
      let steps = 0;
      while (image === undefined) {
        image = job.step(1 + prng.int(64));
        steps++;
        for (let i = 0; i < 3; i++) write();
        if (steps % 40 === 0) s.apply(++index, { op: { $case: 'compaction', value: { revision: BigInt(s.revision() - 100), physical: false } } });
      }
      assert.ok(steps > 20, `the job took ${steps} steps`);
      assert.ok(expected.equals(image), 'the image differs from a snapshot taken at capture');
      const restored = new MvccState();
      restored.restore(image, 1);
      assert.deepEqual(restored.hashKV(0), hashAtCapture);
    });
  }

  it('bound the bytes a step copies: large values take proportionally more steps', () => {
    const stepsFor = (valueBytes: number): number => {
      const s = new MvccState();
      for (let i = 1; i <= 400; i++) s.apply(i, put(`/pods/${i}`, 'x'.repeat(valueBytes)));
      const job = s.snapshotJob();
      let steps = 1;
      while (job.step(400) === undefined) steps++;
      return steps;
    };
    const small = stepsFor(16);
    const large = stepsFor(3072);
    assert.ok(large >= 4 * small, `3 KiB values: ${large} steps, 16 B values: ${small}`);
  });
});
