/**
 * StartingWork, the busy signal of the kubelet and the scheduler: busy while a key has begun and
 * not ended, never for a key older than maxAgeMs, and never more than keysMax keys kept.
 */
import assert from 'node:assert/strict';
import { STARTING_LIMITS, StartingWork } from '../../../src/client/events/starting.js';

describe('StartingWork', () => {
  const clock = { ms: 0, nowMs(): number { return this.ms; } };
  beforeEach(() => {
    clock.ms = 0;
  });

  it('is busy from begin until end of every key', () => {
    const w = new StartingWork(clock);
    assert.equal(w.busy(), false);
    w.begin('a');
    w.begin('b');
    assert.equal(w.busy(), true);
    w.end('a');
    assert.equal(w.busy(), true, 'b is still starting');
    w.end('b');
    w.end('never-began');
    assert.equal(w.busy(), false);
  });

  it('forgets keys older than maxAgeMs; a new begin starts the age over', () => {
    const w = new StartingWork(clock, 1_000);
    w.begin('stuck');
    clock.ms = 600;
    w.begin('late');
    w.begin('stuck'); // began again: now the youngest
    clock.ms = 1_500;
    assert.equal(w.busy(), true);
    assert.equal(w.size, 2, 'both younger than 1 s at 1.5 s');
    clock.ms = 1_599;
    assert.equal(w.busy(), true);
    clock.ms = 1_600;
    assert.equal(w.busy(), false, 'both are 1 s old: no longer counted');
    assert.equal(w.size, 0, 'and forgotten');
  });

  it('the default age is STARTING_LIMITS.maxAgeMs', () => {
    const w = new StartingWork(clock);
    w.begin('a');
    clock.ms = STARTING_LIMITS.maxAgeMs - 1;
    assert.equal(w.busy(), true);
    clock.ms = STARTING_LIMITS.maxAgeMs;
    assert.equal(w.busy(), false);
  });

  it('keeps at most keysMax keys, forgetting the oldest', () => {
    const w = new StartingWork(clock);
    for (let i = 0; i <= STARTING_LIMITS.keysMax; i++) w.begin(`k${i}`);
    assert.equal(w.size, STARTING_LIMITS.keysMax);
    for (let i = 1; i <= STARTING_LIMITS.keysMax; i++) w.end(`k${i}`);
    assert.equal(w.busy(), false, 'k0 was the one forgotten');
  });
});
