/**
 * BoundedMemo (src/base/bounded-memo.ts): a value is made once per key while remembered, the
 * memo never holds more than its bound, and a key forgotten by a clear is made again.
 */
import assert from 'node:assert/strict';
import { BoundedMemo } from '../../src/base/bounded-memo.js';

describe('base: BoundedMemo', () => {
  it('makes each value once while it is remembered', () => {
    const made: string[] = [];
    const memo = new BoundedMemo<string, string>(4);
    const make = (k: string): string => {
      made.push(k);
      return `v:${k}`;
    };
    assert.equal(memo.get('a', make), 'v:a');
    assert.equal(memo.get('a', make), 'v:a');
    assert.equal(memo.lookup('a'), 'v:a');
    assert.equal(memo.lookup('b'), undefined);
    assert.equal(memo.remember('b', 'x'), 'x');
    assert.equal(memo.get('b', make), 'x');
    assert.deepEqual(made, ['a']);
  });

  it('starts over when full, and makes forgotten keys again', () => {
    let makes = 0;
    const memo = new BoundedMemo<number, number>(3);
    const square = (k: number): number => {
      makes++;
      return k * k;
    };
    for (const k of [1, 2, 3]) memo.get(k, square);
    assert.equal(makes, 3);
    assert.equal(memo.get(4, square), 16); // full: cleared, then 4 kept
    assert.equal(makes, 4);
    assert.equal(memo.lookup(1), undefined);
    assert.equal(memo.get(1, square), 1);
    assert.equal(makes, 5);
    assert.equal(memo.lookup(4), 16);
  });
});
