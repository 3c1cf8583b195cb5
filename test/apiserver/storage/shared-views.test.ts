import assert from 'node:assert/strict';
import {
  RecentMemo,
  sharedJson,
  sharedJsonBytes,
} from '../../../src/apiserver/storage/shared-views.js';

describe('shared views of watched objects', () => {
  it('computes once per object while it is recent, and stays bounded', () => {
    let made = 0;
    const memo = new RecentMemo<number>(2);
    const [a, b, c] = [{}, {}, {}];
    const make = (): number => ++made;
    assert.equal(memo.get(a, make), 1);
    assert.equal(memo.get(a, make), 1);
    assert.equal(memo.get(b, make), 2);
    assert.equal(memo.get(c, make), 3); // a, the oldest, is forgotten
    assert.equal(memo.get(a, make), 4);
    assert.equal(made, 4);
  });

  it('shared JSON is exactly JSON.stringify, as text and as bytes', () => {
    const labels = { '10': 'x', a: 'ü' };
    const obj = { kind: 'Pod', metadata: { name: 'p', labels }, n: undefined };
    assert.equal(sharedJson(obj), JSON.stringify(obj));
    assert.equal(sharedJson(obj), sharedJson(obj));
    assert.equal(sharedJsonBytes(obj), sharedJsonBytes(obj));
    assert.deepEqual(sharedJsonBytes(obj), Buffer.from(JSON.stringify(obj), 'utf8'));
  });
});
