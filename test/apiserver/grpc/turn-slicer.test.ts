/**
 * TurnSlicer (turn-slicer.ts): calls run at once while their window has budget, the rest wait
 * for the window's check phase in arrival order, each later window runs at least one call and at
 * most its budget's worth, and a clock that does not move (the simulator's) never slices. A
 * hand-driven clock and immediate queue stand in for performance.now() and setImmediate.
 */
import assert from 'node:assert/strict';
import { TurnSlicer } from '../../../src/apiserver/grpc/turn-slicer.js';

/** loop: a fake clock and check phase; each call "costs" costMs of the clock. */
function loop(): { now: () => number; spend: (ms: number) => void; defer: (fn: () => void) => void;
  checkPhase: () => number } {
  let t = 0;
  let immediates: (() => void)[] = [];
  return {
    now: () => t,
    spend: (ms) => (t += ms),
    defer: (fn) => immediates.push(fn),
    // Immediates armed during a check phase run in the next one, as Node's do.
    checkPhase: () => {
      const due = immediates;
      immediates = [];
      for (const fn of due) fn();
      return due.length;
    },
  };
}

describe('TurnSlicer', () => {
  it('runs calls at once until the window budget is spent, then in later windows, in order', () => {
    const l = loop();
    const s = new TurnSlicer({ wallMs: l.now, cpuMs: l.now }, 2, l.defer);
    const ran: number[] = [];
    // Ten calls arrive in one poll phase, each 0.75 ms of CPU.
    for (let i = 0; i < 10; i++) s.run(() => { ran.push(i); l.spend(0.75); });
    assert.deepEqual(ran, [0, 1, 2], 'the first window runs until 2 ms are spent');
    assert.equal(s.waitingCount, 7);
    l.checkPhase();
    assert.deepEqual(ran, [0, 1, 2, 3, 4, 5], 'the next window runs 2 ms more, in order');
    l.checkPhase();
    l.checkPhase();
    assert.deepEqual(ran, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(s.waitingCount, 0);
  });

  it('a call arriving while others wait queues behind them, even in a fresh window', () => {
    const l = loop();
    const s = new TurnSlicer({ wallMs: l.now, cpuMs: l.now }, 2, l.defer);
    const ran: string[] = [];
    s.run(() => { ran.push('a'); l.spend(5); });
    s.run(() => ran.push('b'));
    assert.deepEqual(ran, ['a']);
    // A check phase's window: b runs first; c, arriving in the next poll phase with budget left
    // in no window of its own yet, still runs after b.
    l.checkPhase();
    s.run(() => ran.push('c'));
    assert.deepEqual(ran, ['a', 'b', 'c']);
  });

  it('every window runs at least one call, however expensive', () => {
    const l = loop();
    const s = new TurnSlicer({ wallMs: l.now, cpuMs: l.now }, 2, l.defer);
    const ran: number[] = [];
    for (let i = 0; i < 3; i++) s.run(() => { ran.push(i); l.spend(10); });
    assert.deepEqual(ran, [0]);
    l.checkPhase();
    assert.deepEqual(ran, [0, 1]);
    l.checkPhase();
    assert.deepEqual(ran, [0, 1, 2]);
  });

  it('a window closes at the check phase: calls after it get a fresh budget', () => {
    const l = loop();
    const s = new TurnSlicer({ wallMs: l.now, cpuMs: l.now }, 2, l.defer);
    let n = 0;
    s.run(() => { n++; l.spend(3); });
    assert.equal(l.checkPhase(), 1, 'the window close was armed once');
    s.run(() => { n++; l.spend(1); });
    s.run(() => n++);
    assert.equal(n, 3, 'a new window: both run at once');
    assert.equal(l.checkPhase(), 1);
    assert.equal(l.checkPhase(), 0, 'nothing armed while no call comes');
  });

  it('a window counts CPU time: a call preempted for long does not end its window', () => {
    const l = loop();
    let cpu = 0;
    const s = new TurnSlicer({ wallMs: l.now, cpuMs: () => cpu }, 2, l.defer);
    const ran: number[] = [];
    // Each call: 0.5 ms of CPU, then the process is off its core for 10 ms.
    for (let i = 0; i < 6; i++) s.run(() => { ran.push(i); cpu += 0.5; l.spend(10.5); });
    assert.deepEqual(ran, [0, 1, 2, 3], 'four calls fit 2 ms of CPU, whatever the wall time');
    l.checkPhase();
    assert.deepEqual(ran, [0, 1, 2, 3, 4, 5]);
  });

  it('never slices on clocks that do not move', () => {
    const l = loop();
    const s = new TurnSlicer({ wallMs: () => 0, cpuMs: () => 0 }, 2, l.defer);
    let n = 0;
    for (let i = 0; i < 1000; i++) s.run(() => n++);
    assert.equal(n, 1000);
    assert.equal(s.waitingCount, 0);
  });

  it('a window\'s output is flushed before the next window runs (native immediates first)', () => {
    // node:http2 flushes a session's writes from a native immediate, which Node runs before
    // every JavaScript immediate of the same check phase, whenever it was armed.
    const l = loop();
    const s = new TurnSlicer({ wallMs: l.now, cpuMs: l.now }, 2, l.defer);
    const events: string[] = [];
    let unflushed = 0;
    const native = (): void => {
      if (unflushed > 0) events.push(`flush ${unflushed}`);
      unflushed = 0;
    };
    for (let i = 0; i < 6; i++) {
      s.run(() => { events.push(`call ${i}`); unflushed++; l.spend(1.5); });
    }
    while (s.waitingCount > 0) {
      native();
      l.checkPhase();
    }
    native();
    assert.deepEqual(events, ['call 0', 'call 1', 'flush 2', 'call 2', 'call 3', 'flush 2',
      'call 4', 'call 5', 'flush 2']);
  });
});
