/**
 * DeadlineQueue on virtual time: calls expire at their deadlines in order, an ended call is
 * never expired and leaves nothing behind, an out-of-order deadline is refused, and an empty
 * queue holds no timer.
 */
import assert from 'node:assert/strict';
import { DeadlineQueue, type Deadlined } from '../../src/rpc/deadline-queue.js';
import { SimClock } from '../../src/sim/clock.js';

interface Call extends Deadlined {
  name: string;
}

function callAt(clock: SimClock, name: string, timeoutMs: number, expired: string[]): Call {
  const c: Call = {
    name,
    dueMs: clock.nowMs() + timeoutMs,
    prevDue: undefined,
    nextDue: undefined,
    queued: false,
    expire: () => expired.push(`${name}@${clock.nowMs()}`),
  };
  return c;
}

function runAll(clock: SimClock): void {
  while (clock.step()) {
    // run every due event
  }
}

describe('rpc/deadline-queue', () => {
  it('expires calls at their deadlines, in order, on one timer', () => {
    const clock = new SimClock();
    const q = new DeadlineQueue(clock);
    const expired: string[] = [];
    assert.ok(q.add(callAt(clock, 'a', 100, expired)));
    clock.advanceTo(10);
    assert.ok(q.add(callAt(clock, 'b', 100, expired)));
    assert.ok(q.add(callAt(clock, 'c', 100, expired)));
    assert.equal(clock.pending(), 1, 'one timer for three calls');
    runAll(clock);
    assert.deepEqual(expired, ['a@100', 'b@110', 'c@110']);
    assert.equal(q.length, 0);
    assert.equal(q.armed, false);
  });

  it('never expires a call that ended, and re-arms for the next one', () => {
    const clock = new SimClock();
    const q = new DeadlineQueue(clock);
    const expired: string[] = [];
    const a = callAt(clock, 'a', 100, expired);
    q.add(a);
    clock.advanceTo(20);
    const b = callAt(clock, 'b', 100, expired);
    q.add(b);
    q.remove(a);
    assert.equal(a.queued, false);
    assert.equal(a.nextDue, undefined, 'an ended call keeps no link into the queue');
    runAll(clock);
    assert.deepEqual(expired, ['b@120']);
  });

  it('refuses a deadline before the last queued one (the caller times it itself)', () => {
    const clock = new SimClock();
    const q = new DeadlineQueue(clock);
    const expired: string[] = [];
    q.add(callAt(clock, 'long', 5_000, expired));
    const short = callAt(clock, 'short', 100, expired);
    assert.equal(q.add(short), false);
    assert.equal(short.queued, false);
    assert.equal(q.length, 1);
  });

  it('holds no timer once every call ended', () => {
    const clock = new SimClock();
    const q = new DeadlineQueue(clock);
    const expired: string[] = [];
    const calls = ['a', 'b', 'c'].map((n) => callAt(clock, n, 1_000, expired));
    for (const c of calls) q.add(c);
    q.remove(calls[1]!);
    q.remove(calls[0]!);
    assert.equal(q.armed, true);
    q.remove(calls[2]!);
    assert.equal(q.armed, false);
    q.remove(calls[2]!); // twice: a no-op
    assert.equal(q.length, 0);
    runAll(clock);
    assert.deepEqual(expired, []);
  });

  it('expires every call due at once, and a call added later gets its own turn', () => {
    const clock = new SimClock();
    const q = new DeadlineQueue(clock);
    const expired: string[] = [];
    for (const n of ['a', 'b']) q.add(callAt(clock, n, 50, expired));
    runAll(clock);
    assert.deepEqual(expired, ['a@50', 'b@50']);
    q.add(callAt(clock, 'c', 30, expired));
    assert.equal(q.armed, true);
    runAll(clock);
    assert.deepEqual(expired, ['a@50', 'b@50', 'c@80']);
  });
});
