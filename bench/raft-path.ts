/**
 * raft-path: what one committed write costs inside a Raft group, counted rather than timed.
 * Three member processes (real WAL with fdatasync, real peer transport, the digest state machine,
 * no client gRPC) on 127.0.21.x; the leader proposes in a closed loop at each level in flight.
 * Per put it reports CPU µs (process accounting, noise-resistant on a shared machine), event-loop
 * turns the driver scheduled, Readys, fdatasyncs, WAL writes and Raft messages by kind, for the
 * leader and for the followers (mean of them). Wall latency is printed too, but on a busy box
 * read the counts. At 1 in flight it also prints a timeline of one put (median µs after the
 * leader's propose: its sends and fdatasync, each follower's receive, fdatasync and ack).
 *
 *   node --import tsx bench/raft-path.ts [--levels 1,16,256] [--seconds 3] [--base 127.0.21.1]
 * Environment: RAFT_PATH_STORE=<N> runs the etcd store's state machine (puts of distinct keys,
 * background snapshots every N entries); RAFT_PATH_PROF=<dir> writes CPU profiles;
 * RAFT_PATH_LOG=1 prints the members' logs.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/base/clock.js';
import { MessageType as T, type Message } from '../src/raft/core/types.js';
import { nodeFileSystem } from '../src/raft/io/fs.js';
import { StoreRequest } from '../src/gen/k8ts/store/v1/store.js';
import { Member, type MemberOptions } from '../src/raft/member.js';
import { MvccState } from '../src/store/apply/state.js';
import { StoreLog } from '../src/store/server/store-log.js';
import { findLeader, ForkedMember } from './lib/forked-member.js';
import { ms, summarize } from './lib/stats.js';

/** Counters one member keeps; all are totals since start. */
interface Counters {
  cpuUs: number;
  turns: number;
  /** Turns that neither took a Ready nor wrote (process() found nothing to do). */
  emptyTurns: number;
  readys: number;
  fsyncs: number;
  walWrites: number;
  sendCalls: number;
  appWithEntries: number;
  appEmpty: number;
  appResp: number;
  heartbeats: number;
  other: number;
}

/** One traced event: entry index, what happened, wall time in ms (shared across processes). */
type TraceEvent = [number, string, number];

/** Trace of the sequential level: bounded, on only while the parent asks for it. */
const trace = { on: false, events: [] as TraceEvent[], cur: 0 };
const MAX_TRACE = 50_000;

function mark(index: number, what: string): void {
  if (!trace.on || trace.events.length >= MAX_TRACE) return;
  trace.events.push([index, what, performance.timeOrigin + performance.now()]);
}

type Cmd =
  | { cmd: 'role' }
  | { cmd: 'trace'; on: boolean }
  | { cmd: 'counters' }
  | { cmd: 'load'; inflight: number; ms: number }
  | { cmd: 'stop' };

const PORT = 32100;

/** child runs one member and answers the parent's commands over IPC. */
async function child(id: number, n: number, base: string, dir: string): Promise<void> {
  const c: Counters = {
    cpuUs: 0, turns: 0, emptyTurns: 0, readys: 0, fsyncs: 0, walWrites: 0, sendCalls: 0,
    appWithEntries: 0, appEmpty: 0, appResp: 0, heartbeats: 0, other: 0,
  };
  countFs(c);
  const host = (i: number): string => base.replace(/\d+$/, (d) => String(Number(d) + i - 1));
  const members = Array.from({ length: n }, (_, i) => ({
    id: i + 1, address: `${host(i + 1)}:${PORT + i}`,
  }));
  const m = new Member({
    id, name: `m${id}`, clusterId: 21, listen: members[id - 1]!.address, members,
    dataDir: join(dir, `m${id}`), timing: { tickMs: 10, electionTicks: 15, heartbeatTicks: 3 },
    forwarding: true, tls: undefined, clock: systemClock, incarnation: 1,
    defer: (fn) => {
      c.turns++;
      setImmediate(() => {
        const [r0, w0] = [c.readys, c.walWrites];
        fn();
        if (c.readys === r0 && c.walWrites === w0) c.emptyTurns++;
      });
    },
    log: (l) => { if (process.env.RAFT_PATH_LOG) console.error(`m${id}: ${l}`); },
    ...storeOptions(),
  });
  countNode(m, c);
  await m.start();
  process.on('message', (msg: Cmd) => void answer(m, c, msg));
  process.on('disconnect', () => process.exit(0)); // the parent is gone: so are we
  process.send!({ ready: true });
}

/** countFs counts fdatasyncs and WAL writes of this process (one member per process). */
function countFs(c: Counters): void {
  const fs = nodeFileSystem;
  const sync = fs.fdatasync.bind(fs);
  const append = fs.append.bind(fs);
  const pwrite = fs.pwrite.bind(fs);
  fs.fdatasync = (fh) => {
    c.fsyncs++;
    mark(trace.cur, 'fsync<');
    sync(fh);
    mark(trace.cur, 'fsync>');
  };
  fs.append = (fh, d) => { c.walWrites++; append(fh, d); };
  fs.pwrite = (fh, d, o) => { c.walWrites++; pwrite(fh, d, o); };
}

/** countNode counts Readys and outbound messages by kind. */
function countNode(m: Member, c: Counters): void {
  const raw = m.node.raw;
  const ready = raw.ready.bind(raw);
  raw.ready = () => {
    c.readys++;
    const rd = ready();
    const last = rd.entries[rd.entries.length - 1];
    if (last) trace.cur = last.index;
    return rd;
  };
  const receive = m.node.receive.bind(m.node);
  m.node.receive = (x: Message) => {
    if (x.type === T.MESSAGE_TYPE_APP && x.entries.length > 0) {
      mark(x.entries[x.entries.length - 1]!.index, 'recv-app');
    } else if (x.type === T.MESSAGE_TYPE_APP_RESP) mark(x.index, `recv-resp${x.from}`);
    receive(x);
  };
  const send = m.transport.send.bind(m.transport);
  m.transport.send = (msgs: readonly Message[]) => {
    c.sendCalls++;
    for (const x of msgs) {
      if (x.type === T.MESSAGE_TYPE_APP) {
        if (x.entries.length > 0) mark(x.entries[x.entries.length - 1]!.index, `send-app${x.to}`);
        if (x.entries.length > 0) c.appWithEntries++;
        else c.appEmpty++;
      } else if (x.type === T.MESSAGE_TYPE_APP_RESP) {
        c.appResp++;
        mark(x.index, 'send-resp');
      }
      else if (x.type === T.MESSAGE_TYPE_HEARTBEAT) c.heartbeats++;
      else c.other++;
    }
    send(msgs);
  };
}

async function answer(m: Member, c: Counters, msg: Cmd): Promise<void> {
  if (msg.cmd === 'role') process.send!({ role: m.node.status().role });
  else if (msg.cmd === 'trace') {
    trace.on = msg.on;
    process.send!({ trace: trace.events.splice(0) });
  }
  else if (msg.cmd === 'counters') {
    const u = process.cpuUsage();
    process.send!({ counters: { ...c, cpuUs: u.user + u.system } });
  } else if (msg.cmd === 'load') process.send!({ load: await closedLoop(m, msg.inflight, msg.ms) });
  else {
    await m.stop();
    process.send!({ x: true }, () => process.exit(0));
  }
}

/** closedLoop proposes 256-byte writes at `inflight` for `durMs`; returns latencies (ms). */
async function closedLoop(m: Member, inflight: number, durMs: number): Promise<number[]> {
  const lat: number[] = [];
  const end = performance.now() + durMs;
  const value = Buffer.alloc(256, 7);
  let seq = 0;
  const store = process.env.RAFT_PATH_STORE !== undefined;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        mark(m.node.raw.raft.log.lastIndex() + 1, 'propose');
        const pending = m.node.propose(store ? putRequest(++seq, value) : value);
        m.kick(); // as the member's services do after every proposal
        const done = await pending;
        mark(done.index, 'done');
        lat.push(performance.now() - t0);
      } catch {
        await new Promise((r) => setTimeout(r, 10)); // a leader change: not counted
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  return lat;
}

/** storeOptions: RAFT_PATH_STORE=<snapshot every N entries> runs the etcd store's state machine
 *  (puts of distinct keys) with background snapshots every N entries, to see what they cost. */
function storeOptions(): Partial<MemberOptions> {
  const every = process.env.RAFT_PATH_STORE;
  if (every === undefined) return {};
  return { stateMachine: new StoreLog(new MvccState()), snapshotEveryEntries: Number(every) };
}

const PUT_DEFAULTS = { lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };

/** putRequest is the log payload of an etcd Put of key /raft-path/<i>. */
function putRequest(i: number, value: Buffer): Buffer {
  const key = Buffer.from(`/raft-path/${process.pid}/${i}`);
  const op = { $case: 'put' as const, value: { ...PUT_DEFAULTS, key, value } };
  return Buffer.from(StoreRequest.encode({ op }).finish());
}

type Proc = ForkedMember<Cmd>;

function diff(a: Counters, b: Counters): Counters {
  const out = { ...b };
  for (const k of Object.keys(out) as (keyof Counters)[]) out[k] = b[k] - a[k];
  return out;
}

function row(label: string, d: Counters, puts: number): string {
  const per = (x: number): string => (x / puts).toFixed(3);
  const cpu = (d.cpuUs / puts).toFixed(0).padStart(5);
  return `  ${label.padEnd(9)} cpu ${cpu} µs  turns ${per(d.turns)} (empty ${per(d.emptyTurns)})` +
    `  readys ${per(d.readys)}  fsync ${per(d.fsyncs)}  walw ${per(d.walWrites)}` +
    `  sends ${per(d.sendCalls)}  app+ ${per(d.appWithEntries)}  app0 ${per(d.appEmpty)}` +
    `  resp ${per(d.appResp)}  hb ${per(d.heartbeats)}`;
}

function mean(cs: Counters[]): Counters {
  const out = { ...cs[0]! };
  for (const k of Object.keys(out) as (keyof Counters)[]) {
    out[k] = cs.reduce((s, x) => s + x[k], 0) / cs.length;
  }
  return out;
}

async function parent(): Promise<void> {
  const { values } = parseArgs({ options: {
    levels: { type: 'string', default: '1,16,256' },
    seconds: { type: 'string', default: '3' },
    base: { type: 'string', default: '127.0.21.1' },
  } });
  const n = 3;
  const seconds = Number(values.seconds);
  const dir = mkdtempSync(join(tmpdir(), 'raft-path-'));
  const procs = Array.from({ length: n }, (_, i) => {
    const args = ['--child', String(i + 1), String(n), values.base!, dir];
    const execArgv = ['--import', 'tsx', ...profArgs(i + 1)];
    return new ForkedMember<Cmd>(fork(import.meta.filename, args, { execArgv }));
  });
  try {
    await Promise.all(procs.map((p) => p.next('ready')));
    const leader = await findLeader(procs);
    await leader.ask({ cmd: 'load', inflight: 16, ms: 1000 }, 'load'); // warm-up
    await idle(procs, seconds);
    for (const inflight of values.levels!.split(',').map(Number)) {
      await level(procs, leader, inflight, seconds);
    }
  } finally {
    await Promise.all(procs.map((p) => p.ask({ cmd: 'stop' }, 'x').catch(() => {})));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** level runs one closed loop and prints its counts (and, sequentially, the timeline). */
async function level(procs: Proc[], leader: Proc, inflight: number, seconds: number):
  Promise<void> {
  const counters = (): Promise<Counters[]> =>
    Promise.all(procs.map((p) => p.ask<Counters>({ cmd: 'counters' }, 'counters')));
  const setTrace = (on: boolean): Promise<TraceEvent[][]> =>
    Promise.all(procs.map((p) => p.ask<TraceEvent[]>({ cmd: 'trace', on }, 'trace')));
  const traced = inflight === 1;
  if (traced) await setTrace(true);
  const before = await counters();
  const lat = await leader.ask<number[]>({ cmd: 'load', inflight, ms: seconds * 1000 }, 'load');
  const ds = (await counters()).map((a, i) => diff(before[i]!, a));
  const li = procs.indexOf(leader);
  if (traced) printTimeline(await setTrace(false), li);
  const s = summarize(lat.sort((a, b) => a - b));
  const cpu = ds.reduce((x, d) => x + d.cpuUs, 0) / lat.length;
  console.log(`c${inflight}: ${(lat.length / seconds).toFixed(0)} puts/s  ` +
    `p50 ${ms(s.p50)} p99 ${ms(s.p99)}  cpu all ${cpu.toFixed(0)} µs/put`);
  console.log(row('leader', ds[li]!, lat.length));
  console.log(row('follower', mean(ds.filter((_, i) => i !== li)), lat.length));
}

/** printTimeline prints, per event kind, the median time after the leader's propose of the same
 *  entry (sequential puts: one entry per put), leader events as L, followers' as F<id>. */
function printTimeline(evs: TraceEvent[][], li: number): void {
  const t0 = new Map<number, number>();
  for (const [i, what, t] of evs[li]!) if (what === 'propose') t0.set(i, t);
  const by = new Map<string, number[]>();
  evs.forEach((list, m) => {
    const seen = new Set<string>();
    for (const [i, what, t] of list) {
      const start = t0.get(i);
      const key = `${m === li ? 'L' : `F${m + 1}`} ${what}`;
      if (start === undefined || seen.has(`${i} ${key}`)) continue;
      seen.add(`${i} ${key}`);
      let xs = by.get(key);
      if (!xs) by.set(key, (xs = []));
      xs.push(t - start);
    }
  });
  const rows = [...by].map(([k, xs]) => [k, xs.sort((a, b) => a - b)[xs.length >> 1]!] as const);
  rows.sort((a, b) => a[1] - b[1]);
  for (const [k, med] of rows) console.log(`    ${(med * 1000).toFixed(0).padStart(6)} µs  ${k}`);
}

/** profArgs: RAFT_PATH_PROF=<dir> writes each member's V8 CPU profile there. */
function profArgs(id: number): string[] {
  const dir = process.env.RAFT_PATH_PROF;
  if (dir === undefined) return [];
  return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `m${id}.cpuprofile`];
}

/** idle prints the members' CPU while nothing is proposed (ticks, heartbeats, timers). */
async function idle(procs: Proc[], seconds: number): Promise<void> {
  const ask = (): Promise<Counters[]> =>
    Promise.all(procs.map((p) => p.ask<Counters>({ cmd: 'counters' }, 'counters')));
  const before = await ask();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = await ask();
  const s = (performance.now() - t0) / 1000;
  const cores = after.map((a, i) => (a.cpuUs - before[i]!.cpuUs) / 1e6 / s);
  const turns = after.map((a, i) => (a.turns - before[i]!.turns) / s);
  console.log(`idle: ${cores.map((x) => x.toFixed(3)).join(' / ')} cores, ` +
    `turns/s ${turns.map((x) => x.toFixed(0)).join(' / ')}`);
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  await child(Number(argv[1]), Number(argv[2]), argv[3]!, argv[4]!);
} else await parent();
