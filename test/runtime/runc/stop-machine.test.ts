/**
 * The runc stop sequence on virtual time: the stop signal first, SIGKILL exactly when the grace
 * period ends, nothing after an exit, an immediate kill for a zero grace or a hurried second stop,
 * and "stuck" when even SIGKILL brings no exit. No root needed.
 */
import assert from 'node:assert/strict';
import { SimClock } from '../../../src/sim/clock.js';
import {
  KILL_WAIT_MS, startStopActor, stopOutcome,
} from '../../../src/runtime/runc/stop-machine.js';

/** runUntil runs every timer due up to atMs, then sets the clock to atMs. */
function runUntil(clock: SimClock, atMs: number): void {
  while ((clock.nextAtMs() ?? Infinity) <= atMs) clock.step();
  clock.advanceTo(atMs);
}

/** start runs a stop sequence recording the signals it asks for. */
function start(graceMs: number) {
  const clock = new SimClock();
  const sent: string[] = [];
  const actor = startStopActor(graceMs, {
    term: () => sent.push('TERM'), kill: () => sent.push('KILL'),
  }, clock);
  return { clock, sent, actor };
}

describe('runc runtime: stop machine', () => {
  it('sends the stop signal, then SIGKILL when the grace period ends', async () => {
    const { clock, sent, actor } = start(30_000);
    assert.deepEqual(sent, ['TERM']);
    runUntil(clock, 29_999);
    assert.deepEqual(sent, ['TERM']);
    runUntil(clock, 30_000);
    assert.deepEqual(sent, ['TERM', 'KILL']);
    actor.send({ type: 'EXITED' });
    assert.equal(await stopOutcome(actor), 'exited');
  });

  it('sends nothing more once the container exits during the grace period', async () => {
    const { clock, sent, actor } = start(10_000);
    actor.send({ type: 'EXITED' });
    runUntil(clock, 60_000);
    assert.deepEqual(sent, ['TERM']);
    assert.equal(await stopOutcome(actor), 'exited');
  });

  it('kills at once for a zero grace or a second stop with timeout 0', () => {
    assert.deepEqual(start(0).sent, ['KILL']);
    const { sent, actor } = start(30_000);
    actor.send({ type: 'STOP', graceMs: 5_000 });
    assert.deepEqual(sent, ['TERM'], 'a longer or other non-zero grace does not escalate');
    actor.send({ type: 'STOP', graceMs: 0 });
    assert.deepEqual(sent, ['TERM', 'KILL']);
  });

  it('ends "stuck" when no exit follows SIGKILL within the bound', async () => {
    const { clock, actor } = start(0);
    runUntil(clock, KILL_WAIT_MS);
    assert.equal(await stopOutcome(actor), 'stuck');
  });
});
