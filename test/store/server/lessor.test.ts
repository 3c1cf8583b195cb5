/**
 * The leader's lease deadlines (lessor.ts) over a real MvccState: expiry after the TTL, renewal,
 * forgetting revoked leases — and that none of it lists a lease's attached keys, which the
 * expiry check did every 500 ms for every lease (an Events lease holds thousands of keys, each
 * check sorted them all).
 */
import assert from 'node:assert/strict';
import { MvccState } from '../../../src/store/apply/state.js';
import { Lessor } from '../../../src/store/server/lessor.js';

let index = 0;

function grant(state: MvccState, id: bigint, ttl: number): void {
  const out = state.apply(++index, { trace: undefined, op: { $case: 'leaseGrant', value: { ID: id, TTL: BigInt(ttl) } } });
  assert.ok(!('error' in out));
}

function put(state: MvccState, key: string, lease: bigint): void {
  const value = { key: Buffer.from(key), value: Buffer.from('v'), lease, prevKv: false, ignoreValue: false, ignoreLease: false };
  const out = state.apply(++index, { trace: undefined, op: { $case: 'put', value } });
  assert.ok(!('error' in out));
}

/** A state whose lease() (keys included) fails the test: the lessor must not need the keys. */
function noKeyListing(state: MvccState): MvccState {
  state.lease = () => assert.fail('the lessor listed a lease\'s keys');
  return state;
}

describe('store Lessor', () => {
  beforeEach(() => {
    index = 0;
  });

  it('expires a lease after its TTL unless renewed, without listing its keys', () => {
    const state = new MvccState();
    grant(state, 1n, 10);
    grant(state, 2n, 10);
    for (let i = 0; i < 50; i++) put(state, `/registry/events/ns/e${i}`, 1n);
    const lessor = new Lessor(noKeyListing(state));
    lessor.promote(0);
    assert.deepEqual(lessor.expired(5_000), []);
    assert.equal(lessor.renew(2n, 5_000), 10);
    assert.deepEqual(lessor.expired(10_000), [1n]);
    // Proposed once: not again before the retry delay, and lease 2 still has 5 s.
    assert.deepEqual(lessor.expired(12_000), []);
    // Lease 1's revoke never reached the log: proposed again after the retry delay.
    assert.deepEqual(lessor.expired(15_000), [1n, 2n]);
    assert.equal(lessor.remainingSeconds(1n, 15_000), 0);
    assert.equal(lessor.renew(1n, 15_000), 0, 'a lease being revoked is not renewed');
  });

  it('forgets leases the log revoked and answers unknown ones as etcd does', () => {
    const state = new MvccState();
    grant(state, 7n, 30);
    const lessor = new Lessor(noKeyListing(state));
    lessor.promote(0);
    assert.equal(lessor.remainingSeconds(7n, 1_000), 29);
    const out = state.apply(++index, { trace: undefined, op: { $case: 'leaseRevoke', value: { ID: 7n } } });
    assert.ok(!('error' in out));
    assert.deepEqual(lessor.expired(60_000), []);
    assert.equal(lessor.renew(7n, 60_000), 0);
    assert.equal(lessor.remainingSeconds(7n, 60_000), -1);
  });

  it('tracks nothing while not the leader', () => {
    const state = new MvccState();
    grant(state, 3n, 10);
    const lessor = new Lessor(noKeyListing(state));
    assert.deepEqual(lessor.expired(60_000), []);
  });
});
