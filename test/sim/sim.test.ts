/**
 * The deterministic simulator as a test: a time-bounded sweep of seeds (mixed 3 and 5 members,
 * crashes, torn writes, partitions, message faults, snapshots, membership changes), a replay check
 * (one seed twice gives the same event log), and proof that each checker catches the violation it
 * exists for — a checker that cannot fail proves nothing.
 */
import assert from 'node:assert/strict';
import { SafetyChecker, SafetyViolation, hashBytes, type StateView } from '../../src/sim/checkers.js';
import { runSeed, type SimResult } from '../../src/sim/cluster.js';
import { SimClock } from '../../src/sim/clock.js';
import { EntryType, type Entry } from '../../src/raft/core/types.js';

/** SWEEP_SEEDS and SWEEP_STEPS size the sweep to about 60 s on one core (measured: 2000 seeds at
 *  4000 steps, ~35 seeds/s); mocha runs it on one core, leaving the other to the rest. */
const SWEEP_SEEDS = 2000;
const SWEEP_STEPS = 4000;

function entry(index: number, term: number, text: string): Entry {
  return { index, term, type: EntryType.ENTRY_TYPE_NORMAL, data: Buffer.from(text) };
}

/** stateOf is a StateView over a plain index → payload map. */
function stateOf(applied: number, payloads: Record<number, string>): StateView {
  return { appliedIndex: () => applied, payloadAt: (i) => payloads[i] };
}

describe('SimClock', () => {
  it('runs events in (time, insertion) order, skips cancelled ones, repeats intervals', () => {
    const clock = new SimClock();
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.nowMs()}`), 5);
    clock.setTimeout(() => seen.push(`a@${clock.nowMs()}`), 3);
    clock.setTimeout(() => seen.push(`c@${clock.nowMs()}`), 5); // same time as b: after b
    const dead = clock.setTimeout(() => seen.push('never'), 4);
    dead.cancel();
    const every = clock.setInterval(() => seen.push(`i@${clock.nowMs()}`), 4);
    for (let i = 0; i < 6 && clock.step(); i++);
    every.cancel();
    while (clock.step());
    assert.deepEqual(seen, ['a@3', 'i@4', 'b@5', 'c@5', 'i@8', 'i@12']);
  });
});

describe('sim checkers catch forged violations', () => {
  it('two leaders in one term', () => {
    const c = new SafetyChecker();
    c.observeLeader(1, 5);
    c.observeLeader(1, 5); // the same leader seen again is fine
    c.observeLeader(2, 6);
    assert.throws(() => c.observeLeader(3, 5), (e: Error) => e instanceof SafetyViolation && /both lead term 5/.test(e.message));
  });

  it('divergent applied entries at one index', () => {
    const c = new SafetyChecker();
    c.observeApplied(1, entry(7, 2, 'a'), 100, 'a');
    c.observeApplied(2, entry(7, 2, 'a'), 100, 'a');
    assert.throws(() => c.observeApplied(3, entry(7, 3, 'b'), 200, 'b'), /state machine safety/);
  });

  it('a state that differs after the same entry', () => {
    const c = new SafetyChecker();
    c.observeApplied(1, entry(7, 2, 'a'), 100, 'a');
    assert.throws(() => c.observeApplied(2, entry(7, 2, 'a'), 101, 'a'), /state .* differs/);
  });

  it('log matching: same index and term, different prefix', () => {
    const c = new SafetyChecker();
    c.resetLog(1, 0, 0);
    c.resetLog(2, 0, 0);
    c.observeAppend(1, [entry(1, 1, 'x'), entry(2, 2, 'y')]);
    // Member 2 has a different entry at index 1 but the same (2, 2): the prefixes differ.
    assert.throws(() => c.observeAppend(2, [entry(1, 1, 'z'), entry(2, 2, 'y')]), /log matching/);
  });

  it('leader completeness: a new leader missing a committed entry', () => {
    const c = new SafetyChecker();
    for (const id of [1, 2, 3]) c.resetLog(id, 0, 0);
    c.observeAppend(1, [entry(1, 1, 'a'), entry(2, 2, 'b')]);
    c.observeAppend(2, [entry(1, 1, 'a'), entry(2, 2, 'b')]);
    c.observeAppend(3, [entry(1, 1, 'a')]);
    c.observeApplied(1, entry(1, 1, 'a'), 1, 'a');
    c.observeApplied(1, entry(2, 2, 'b'), 2, 'b');
    assert.throws(() => c.observeLeader(3, 3), /leader completeness/);
  });

  it('a lost acknowledged write', () => {
    const c = new SafetyChecker();
    c.observeApplied(1, entry(4, 2, 'w1'), 1, 'w1');
    c.observeAck({ payload: 'w1', index: 4, term: 2 });
    // Acknowledged at an index where something else committed:
    assert.throws(() => c.observeAck({ payload: 'w2', index: 4, term: 2 }), /not the committed entry/);
    // A state machine that reached index 4 without w1 there:
    assert.throws(() => c.checkAcksIn(2, stateOf(5, { 4: 'other' })), /lost acknowledged write/);
    c.checkAcksIn(3, stateOf(5, { 4: 'w1' }));
  });

  it('a stale read', () => {
    const c = new SafetyChecker();
    c.observeApplied(1, entry(9, 3, 'w'), 1, 'w');
    c.observeAck({ payload: 'w', index: 9, term: 3 });
    const token = c.readStarted();
    assert.throws(() => c.readCompleted(token, 2, 8, stateOf(8, {})), /stale read/);
    assert.throws(() => c.readCompleted(token, 2, 9, stateOf(9, { 9: 'old' })), /stale read/);
    c.readCompleted(token, 2, 9, stateOf(9, { 9: 'w' }));
  });
});

describe('sim: deterministic replay', () => {
  it('one seed run twice gives the same event log', async function () {
    this.timeout(60_000);
    const digest = async (): Promise<{ hash: number; lines: number; result: SimResult }> => {
      let lines = 0;
      let acc = '';
      let hash = 0;
      const result = await runSeed({
        seed: 4242,
        steps: 3000,
        membershipChanges: true,
        log: (line) => {
          lines++;
          acc += line + '\n';
          if (acc.length > 1 << 16) {
            hash = hashBytes(Buffer.from(acc), hash % 65536);
            acc = '';
          }
        },
      });
      return { hash: hashBytes(Buffer.from(acc), hash % 65536) + hash, lines, result };
    };
    const a = await digest();
    const b = await digest();
    assert.ok(a.lines > 1000, `event log too short to mean anything: ${a.lines} lines`);
    assert.equal(a.lines, b.lines);
    assert.equal(a.hash, b.hash);
    assert.deepEqual(a.result, b.result);
  });
});

describe('sim: seed sweep', () => {
  it(`${SWEEP_SEEDS} seeds, mixed 3 and 5 members, safety then liveness`, async function () {
    this.timeout(300_000);
    let members3 = 0;
    let acks = 0;
    for (let seed = 1; seed <= SWEEP_SEEDS; seed++) {
      let r: SimResult;
      try {
        r = await runSeed({ seed, steps: SWEEP_STEPS, membershipChanges: true });
      } catch (err) {
        throw new Error(`seed ${seed} failed (replay: npm run sim -- --seed ${seed} --steps ${SWEEP_STEPS}): ${(err as Error).message}`, { cause: err });
      }
      if (r.members === 3) members3++;
      acks += r.acks;
    }
    assert.ok(members3 > SWEEP_SEEDS / 4 && members3 < (SWEEP_SEEDS * 3) / 4, `members not mixed: ${members3} of ${SWEEP_SEEDS} had 3`);
    assert.ok(acks > SWEEP_SEEDS, `workload too thin: ${acks} acknowledged writes`);
  });
});

describe('sim: replayable by construction', () => {
  it('src/sim reads no real time and no unseeded randomness', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const dir = new URL('../../src/sim/', import.meta.url);
    const forbidden = /Math\.random|Date\.now|new Date\(|performance\.now|\bsetTimeout\(|\bsetInterval\(|setImmediate|process\.hrtime/;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const lines = readFileSync(new URL(file, dir), 'utf8').split('\n');
      lines.forEach((line, i) => {
        // Calls through a Clock (this.clock.setTimeout) are virtual time: only bare calls count.
        // SimClock's own method declarations are the virtual timers themselves.
        if (/^\s*(setTimeout|setInterval)\(.*\): Timer \{$/.test(line)) return;
        const bare = line.replace(/\.\s*(setTimeout|setInterval)\(/g, '.virtual(');
        assert.ok(!forbidden.test(bare), `src/sim/${file}:${i + 1} uses real time or randomness: ${line.trim()}`);
      });
    }
  });
});
