/**
 * store-trace: the stage breakdown of a put, from the files members write with stage tracing on
 * (src/rpc/stage-trace.ts):
 *
 *   rm -rf /tmp/st && mkdir /tmp/st && K8TS_PUT_TRACE=/tmp/st \
 *     npm run bench -- store --only k8ts --tests put-c16 --rounds 1
 *   node --import tsx bench/lib/store-trace.ts /tmp/st
 *
 * For every put the leader served (its entry index joins the members' Raft events) it prints
 * p50 / p90 / p99 of each stage: stream opened → decoded → proposed → append sent → leader's
 * fdatasync done; on each follower append received → its fdatasync done → ack sent; the first
 * ack received at the leader; committed-and-applied; answered. Also per put: the leader's and
 * followers' fdatasyncs, appends and acks (events divided by puts), and how long each member's
 * fdatasync calls took (not the device's flush time the bench's disk column shows); and for the
 * slowest 1 % of puts, which stage of the critical path they spent their time in and how much of
 * it the leader spent in GC pauses. Times are
 * wall-clock ms across processes; on a loaded machine read the medians.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallStamps, GcPause, RaftEvent, RaftEventKind, TraceFile } from '../../src/rpc/stage-trace.js';

/** firstAt[i - base]: first time an event of kind covered index i (Infinity: never). */
interface Coverage {
  base: number;
  at: Float64Array;
}

/** coverage finds, per index, the first event of kind whose last index reached it; for syncB,
 *  an fdatasync covers what the member sent (leader) or received (follower) before it began. */
function coverage(ev: RaftEvent[], kind: RaftEventKind, base: number, n: number): Coverage {
  const at = new Float64Array(n).fill(Infinity);
  let covered = base - 1;
  const mark = (last: number, t: number): void => {
    const to = Math.min(last, base + n - 1);
    for (let i = Math.max(covered + 1, base); i <= to; i++) at[i - base] = t;
    covered = Math.max(covered, last);
  };
  if (kind !== 'syncB') {
    for (const [k, t, , last] of ev) if (k === kind) mark(last, t);
    return { base, at };
  }
  let seen = 0;
  let pending = -1;
  for (const [k, t, , last] of ev) {
    if (k === 'appTx' || k === 'appRx') seen = Math.max(seen, last);
    else if (k === 'syncA') pending = seen;
    else if (k === 'syncB' && pending >= 0) {
      mark(pending, t);
      pending = -1;
    }
  }
  return { base, at };
}

function get(c: Coverage, i: number): number {
  return c.at[i - c.base] ?? Infinity;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  return xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
}

function line(label: string, xs: number[]): string {
  const f = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const v = (p: number): string => pct(f, p).toFixed(2).padStart(7);
  return `  ${label.padEnd(44)} p50 ${v(50)}  p90 ${v(90)}  p99 ${v(99)} ms  (n=${f.length})`;
}

/** syncCalls: how long each fdatasync call took (syncA → syncB) between from and to. Why: the
 *  bench's disk column is /proc/diskstats' FLUSH time (the device's cache flush, 0.03-0.04 ms
 *  here), while the call a member waits on also writes the data out and wakes the process
 *  again: 0.15-0.17 ms p50 at 16 in flight on a quiet machine (see bench/lib/store-proc.ts). */
function syncCalls(ev: RaftEvent[], from: number, to: number): number[] {
  const out: number[] = [];
  let start = -1;
  for (const [k, t] of ev) {
    if (k === 'syncA') start = t;
    else if (k === 'syncB' && start >= 0) {
      if (start >= from && t <= to) out.push(t - start);
      start = -1;
    }
  }
  return out;
}

function count(ev: RaftEvent[], kind: RaftEventKind, from: number, to: number): number {
  return ev.filter(([k, t]) => k === kind && t >= from && t <= to).length;
}

/** A stage of a put's critical path: the stages of TAIL_STAGES add up to opened → answered. */
type Stage = [name: string, ms: (c: CallStamps, index: number) => number];

/** The share of puts tail() looks at: the slowest 1 % by server time, those that make the p99. */
const TAIL_SHARE = 0.01;

/**
 * tail prints what the slowest puts (server time at or above its p99) waited on: per stage of
 * the critical path, its median among them against its median over all puts, and in how many
 * of them it was the longest stage. Why: the p50/p90/p99 lines above are per stage, and the
 * puts that are slow in one stage are not the ones slow in another; the p99 of the whole is
 * made by whichever stage the slowest puts have in common.
 */
function tail(calls: CallStamps[], stages: Stage[], gc: GcPause[] | undefined): void {
  const total = (c: CallStamps): number => c[4] - c[0];
  const sorted = [...calls].sort((a, b) => total(a) - total(b));
  const slow = sorted.slice(Math.floor(sorted.length * (1 - TAIL_SHARE)));
  const median = (xs: number[]): number => pct(xs.filter(Number.isFinite).sort((a, b) => a - b), 50);
  const longest = new Array<number>(stages.length).fill(0);
  for (const c of slow) {
    const ms = stages.map(([, f]) => f(c, c[5]));
    longest[ms.indexOf(Math.max(...ms.map((m) => (Number.isFinite(m) ? m : -Infinity))))]!++;
  }
  console.log(`  slowest ${slow.length} puts (server time ≥ ${total(slow[0]!).toFixed(2)} ms): median per stage ` +
    '(all puts), longest stage in');
  stages.forEach(([name, f], k) => {
    const mSlow = median(slow.map((c) => f(c, c[5])));
    const mAll = median(calls.map((c) => f(c, c[5])));
    const share = ((100 * longest[k]!) / slow.length).toFixed(0);
    console.log(`    ${name.padEnd(42)} ${mSlow.toFixed(2).padStart(8)} ms (${mAll.toFixed(2)})  ${share.padStart(3)} %`);
  });
  if (gc === undefined) return;
  // The leader's GC pauses inside each put's server time: a pause stops every stage on its loop.
  const paused = (c: CallStamps, major = false): number => {
    let ms = 0;
    for (const [at, d, kind] of gc) {
      if (!major || kind === 4) ms += Math.max(0, Math.min(at + d, c[4]) - Math.max(at, c[0]));
    }
    return ms;
  };
  const pSlow = slow.map((c) => paused(c));
  const hit = pSlow.filter((ms) => ms > 0).length;
  // Which kind sets the tail: a mark-compact stops every put in flight for tens of ms, and a
  // few of them in a test can hold more than 1 % of its puts.
  const majorHit = slow.filter((c) => paused(c, true) > 0).length;
  console.log(`    leader GC pauses inside them: median ${median(pSlow).toFixed(2)} ms (all puts ` +
    `${median(calls.map((c) => paused(c))).toFixed(2)}), in ${((100 * hit) / slow.length).toFixed(0)} % of them; ` +
    `a mark-compact in ${((100 * majorHit) / slow.length).toFixed(0)} % of them`);
}

/** gcLine sums the leader's GC pauses between from and to by kind: a pause of the single-threaded
 *  loop delays every put in flight. */
function gcLine(gc: GcPause[], from: number, to: number, puts: number): string {
  const inside = gc.filter(([at]) => at >= from && at <= to);
  // perf_hooks' kinds (constants NODE_PERFORMANCE_GC_*): 1 minor, 4 major, 8 incremental
  // marking, 16 weak callbacks. (Counted as 2 before 2026-11-25, so majors showed as "other".)
  const kinds: [string, (k: number) => boolean][] = [
    ['scavenges', (k) => k === 1], ['mark-compacts', (k) => k === 4],
    ['other', (k) => k !== 1 && k !== 4],
  ];
  return kinds.map(([name, is]) => {
    const ds = inside.filter(([, , k]) => is(k)).map(([, d]) => d).sort((a, b) => a - b);
    const sum = ds.reduce((a, b) => a + b, 0);
    return `${name} ${((1000 * ds.length) / puts).toFixed(2)} per 1k puts, ${sum.toFixed(0)} ms (max ${(ds[ds.length - 1] ?? 0).toFixed(1)})`;
  }).join('; ');
}

/** report prints the breakdown for the leader's calls (after skipping the first `skip`). */
function report(files: TraceFile[], skip: number): void {
  const leader = files.reduce((a, b) => (b.calls.length > a.calls.length ? b : a));
  const followers = files.filter((f) => f !== leader && f.raft.some(([k]) => k === 'appRx'));
  const calls: CallStamps[] = leader.calls.slice(skip);
  if (calls.length === 0) throw new Error('no traced calls (K8TS_PUT_TRACE set for the members?)');
  const idx = calls.map((c) => c[5]);
  const base = Math.min(...idx);
  const n = Math.max(...idx) - base + 1;
  const L = leader.raft;
  const lSent = coverage(L, 'appTx', base, n);
  const lSync = coverage(L, 'syncB', base, n);
  const lAck = coverage(L, 'ackRx', base, n);
  const col = (f: (c: CallStamps, i: number) => number): number[] => calls.map((c) => f(c, c[5]));
  console.log(`leader pid ${leader.pid}: ${calls.length} puts (first ${skip} skipped)`);
  console.log(line('opened → decoded', col((c) => c[1] - c[0])));
  console.log(line('decoded → proposed', col((c) => c[2] - c[1])));
  console.log(line('proposed → append sent', col((c, i) => get(lSent, i) - c[2])));
  const sent = (i: number): number => get(lSent, i);
  console.log(line('append sent → leader fdatasync done', col((_, i) => get(lSync, i) - sent(i))));
  for (const f of followers) {
    const rx = coverage(f.raft, 'appRx', base, n);
    const sync = coverage(f.raft, 'syncB', base, n);
    const ack = coverage(f.raft, 'ackTx', base, n);
    const tag = `F${f.pid}`;
    console.log(line(`${tag} append sent → received`, col((_, i) => get(rx, i) - get(lSent, i))));
    console.log(line(`${tag} received → fdatasync done`, col((_, i) => get(sync, i) - get(rx, i))));
    console.log(line(`${tag} synced → ack sent`, col((_, i) => get(ack, i) - get(sync, i))));
  }
  console.log(line('append sent → first ack received', col((_, i) => get(lAck, i) - sent(i))));
  const quorum = (i: number): number => Math.max(get(lAck, i), get(lSync, i));
  console.log(line('quorum (max of both) → applied', col((c, i) => c[3] - quorum(i))));
  console.log(line('applied → answered', col((c) => c[4] - c[3])));
  console.log(line('opened → answered (server total)', col((c) => c[4] - c[0])));
  tail(calls, [
    ['opened → decoded', (c) => c[1] - c[0]],
    ['decoded → proposed', (c) => c[2] - c[1]],
    ['proposed → append sent', (c, i) => sent(i) - c[2]],
    ['append sent → quorum', (_, i) => quorum(i) - sent(i)],
    ['quorum → applied', (c, i) => c[3] - quorum(i)],
    ['applied → answered', (c) => c[4] - c[3]],
  ], leader.gc);
  const from = calls[0]![0];
  const to = calls[calls.length - 1]![4];
  const per = (ev: RaftEvent[], k: RaftEventKind): string =>
    (count(ev, k, from, to) / calls.length).toFixed(3);
  if (leader.gc !== undefined) console.log(`  leader GC pauses: ${gcLine(leader.gc, from, to, calls.length)}`);
  console.log(line('leader fdatasync call (syscall)', syncCalls(L, from, to)));
  for (const f of followers) console.log(line(`F${f.pid} fdatasync call (syscall)`, syncCalls(f.raft, from, to)));
  console.log(`  per put: leader fdatasync ${per(L, 'syncB')}, appends sent ${per(L, 'appTx')}, ` +
    `acks received ${per(L, 'ackRx')}; followers fdatasync ` +
    `${followers.map((f) => per(f.raft, 'syncB')).join(' / ')}`);
}

const dir = process.argv[2];
if (dir === undefined) {
  console.error('usage: store-trace.ts <dir> [skip]');
  process.exit(2);
}
const files = readdirSync(dir).filter((f) => /^trace\.\d+\.json$/.test(f))
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as TraceFile);
report(files, Number(process.argv[3] ?? 1000));
