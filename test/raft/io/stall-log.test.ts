import assert from 'node:assert/strict';
import type { Clock } from '../../../src/base/clock.js';
import { emptyWork } from '../../../src/raft/node.js';
import { describeWork, StallWatch } from '../../../src/raft/io/stall-log.js';

/** A clock and CPU meter the test moves by hand. */
function fixture(): { now: { ms: number; cpu: number }; lines: string[]; w: StallWatch } {
  const now = { ms: 0, cpu: 0 };
  const clock = { nowMs: () => now.ms } as Clock;
  const lines: string[] = [];
  const w = new StallWatch(clock, () => now.cpu, (l) => lines.push(l));
  return { now, lines, w };
}

describe('StallWatch', () => {
  it('says nothing about probes on time or late by less than 250 ms', () => {
    const { now, lines, w } = fixture();
    for (let i = 0; i < 10; i++) {
      now.ms += 50 + 199;
      w.probe();
    }
    assert.deepEqual(lines, []);
  });

  it('names a stall, whether the process computed, and the longest driver turn in it', () => {
    const { now, lines, w } = fixture();
    const work = { ...emptyWork(), readies: 3, applied: 500, appliedBytes: 1_536_000 };
    w.noteTurn('turn', 10, emptyWork());
    w.noteTurn('turn', 700, work);
    now.ms += 50 + 800;
    now.cpu += 790;
    w.probe();
    assert.equal(lines.length, 1);
    assert.equal(lines[0], 'event loop blocked 800 ms (process CPU 790 ms: computing); ' +
      'driver 710 ms in 2 turns, longest 700 ms (turn: 3 readies, 500 applied (1500 KiB))');
    for (let i = 0; i < 40; i++) {
      now.ms += 50;
      w.probe();
    }
    now.ms += 50 + 300;
    now.cpu += 20;
    w.probe();
    assert.equal(lines[1], 'event loop blocked 300 ms (process CPU 20 ms: starved or waiting); ' +
      'no driver turn ran in it');
  });

  it('writes at most one line a second and counts the ones it left out', () => {
    const { now, lines, w } = fixture();
    w.gc('major', 150);
    w.gc('major', 120);
    w.gc('minor', 99); // below the GC threshold: not a pause worth a line
    now.ms += 300;
    w.gc('minor', 110);
    now.ms += 1_000;
    w.gc('major', 400);
    assert.deepEqual(lines, [
      'GC pause 150 ms (major)',
      'GC pause 400 ms (major) [2 more stall/GC lines not shown]',
    ]);
  });

  it('describes a write turn by what it persisted and sent', () => {
    const w = {
      ...emptyWork(), persistedEntries: 64, persistedBytes: 204_800, persistMs: 259,
      sentMessages: 2, sentEntries: 128, sentBytes: 409_600,
    };
    assert.equal(describeWork(w), '0 readies, 64 entries persisted (200 KiB, 259 ms), ' +
      '2 messages out with 128 entries (400 KiB)');
  });
});
