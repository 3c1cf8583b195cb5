/**
 * `npm run sim` — the deterministic simulator's command line.
 *
 *   npm run sim -- --seeds 100000          seeds 1..N, progress and a summary (seeds/second)
 *   npm run sim -- --seed 42               replay one seed with the verbose event log
 *   npm run sim -- control-plane ...       the control-plane simulation (src/sim/control-plane)
 *   options: --members 3|5  --steps N  --first S  --storage durable|memory  --no-membership
 *            --jobs J (worker threads, each taking every J-th seed; default: one per core, ≤ 8)
 *
 * A failure prints the seed, the violation and the exact replay command, and exits 1. Real time is
 * read only to report throughput (through src/base's systemClock); it never reaches the simulation.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runShardWorkers } from './shard-workers.js';
import { systemClock } from '../base/clock.js';
import { runSeed, type SimOptions, type SimResult } from './cluster.js';

/** DEFAULT_STEPS is events per safety phase: a few virtual seconds of faults per seed. */
export const DEFAULT_STEPS = 4000;
/** JOBS_MAX bounds worker threads: seeds are independent, but memory per worker is not free. */
const JOBS_MAX = 8;

interface Args {
  seeds: number;
  first: number;
  seed: number | undefined;
  members: number | undefined;
  steps: number;
  storage: 'durable' | 'memory';
  membership: boolean;
  jobs: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    seeds: 100,
    first: 1,
    seed: undefined,
    members: undefined,
    steps: DEFAULT_STEPS,
    storage: 'durable',
    membership: true,
    jobs: Math.min(availableParallelism(), JOBS_MAX),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--seeds': args.seeds = positiveInt(flag, value()); break;
      case '--first': args.first = positiveInt(flag, value()); break;
      case '--seed': args.seed = positiveInt(flag, value()); break;
      case '--members': args.members = positiveInt(flag, value()); break;
      case '--steps': args.steps = positiveInt(flag, value()); break;
      case '--storage': {
        const v = value();
        if (v !== 'durable' && v !== 'memory') throw new Error('--storage is durable or memory');
        args.storage = v;
        break;
      }
      case '--jobs': args.jobs = positiveInt(flag, value()); break;
      case '--membership': args.membership = true; break;
      case '--no-membership': args.membership = false; break;
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  if (args.members !== undefined && args.members !== 3 && args.members !== 5) {
    throw new Error('--members is 3 or 5');
  }
  return args;
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got ${v}`);
  return n;
}

/** replayCommand is the command that reruns one seed exactly as this run did. */
export function replayCommand(
  seed: number,
  a: Pick<Args, 'members' | 'steps' | 'storage' | 'membership'>,
): string {
  let cmd = `npm run sim -- --seed ${seed}`;
  if (a.members !== undefined) cmd += ` --members ${a.members}`;
  if (a.steps !== DEFAULT_STEPS) cmd += ` --steps ${a.steps}`;
  if (a.storage !== 'durable') cmd += ` --storage ${a.storage}`;
  if (!a.membership) cmd += ' --no-membership';
  return cmd;
}

function optionsFor(seed: number, a: Args, log?: (line: string) => void): SimOptions {
  const { members, steps, storage } = a;
  return { seed, members, steps, storage, membershipChanges: a.membership, log };
}

async function replay(a: Args, seed: number): Promise<number> {
  try {
    const r = await runSeed(optionsFor(seed, a, (line) => console.log(line)));
    console.log(`seed ${seed}: ok ${summarize(r)}`);
    return 0;
  } catch (err) {
    console.error(`seed ${seed}: FAILED: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}

/** Totals add up what the seeds of a sweep did, for the summary line. */
interface Totals {
  seeds: number;
  acks: number;
  reads: number;
  crashes: number;
  leaders: number;
  virtualMs: number;
  events: number;
}

/** WorkerReport is what a sweep worker posts: a batch of passed seeds, or the seed that failed. */
type WorkerReport =
  | { kind: 'progress'; totals: Totals }
  | { kind: 'failed'; seed: number; message: string }
  | { kind: 'done' };

const PROGRESS_BATCH_SEEDS = 50;

function emptyTotals(): Totals {
  return { seeds: 0, acks: 0, reads: 0, crashes: 0, leaders: 0, virtualMs: 0, events: 0 };
}

function addTotals(t: Totals, r: Totals): void {
  t.seeds += r.seeds;
  t.acks += r.acks;
  t.reads += r.reads;
  t.crashes += r.crashes;
  t.leaders += r.leaders;
  t.virtualMs += r.virtualMs;
  t.events += r.events;
}

/** sweepShard runs the seeds first + job, first + job + jobs, ... and reports in batches. */
async function sweepShard(a: Args, job: number, report: (r: WorkerReport) => void): Promise<void> {
  // The workload makes thousands of typed operating errors (NotLeader, lost proposals) per seed and
  // capturing their stacks is a tenth of the run. A sweep prints only messages; the replay command
  // it prints runs with stacks.
  Error.stackTraceLimit = 0;
  let batch = emptyTotals();
  const last = a.first + a.seeds - 1;
  for (let seed = a.first + job; seed <= last; seed += a.jobs) {
    let r: SimResult;
    try {
      r = await runSeed(optionsFor(seed, a));
    } catch (err) {
      report({ kind: 'failed', seed, message: (err as Error).message });
      return;
    }
    addTotals(batch, { ...r, seeds: 1 });
    if (batch.seeds >= PROGRESS_BATCH_SEEDS) {
      report({ kind: 'progress', totals: batch });
      batch = emptyTotals();
    }
  }
  report({ kind: 'progress', totals: batch });
  report({ kind: 'done' });
}

async function sweep(a: Args): Promise<number> {
  const startMs = systemClock.nowMs();
  let lastReportMs = startMs;
  const totals = emptyTotals();
  let failed: { seed: number; message: string } | undefined;
  const onReport = (r: WorkerReport): void => {
    if (r.kind === 'failed') {
      if (failed === undefined || r.seed < failed.seed) failed = r;
      return;
    }
    if (r.kind !== 'progress') return;
    addTotals(totals, r.totals);
    const nowMs = systemClock.nowMs();
    if (nowMs - lastReportMs > 5000) {
      lastReportMs = nowMs;
      const rate = totals.seeds / ((nowMs - startMs) / 1000);
      console.log(`${totals.seeds}/${a.seeds} seeds ok (${rate.toFixed(1)} seeds/s)`);
    }
  };
  if (a.jobs === 1) await sweepShard(a, 0, onReport);
  else {
    await runShardWorkers<WorkerReport>({
      module: import.meta.url, jobs: a.jobs, workerData: { args: a }, onReport,
      fails: (r) => r.kind === 'failed',
    });
  }
  if (failed !== undefined) {
    console.error(`\nseed ${failed.seed}: FAILED: ${failed.message}`);
    console.error(`replay: ${replayCommand(failed.seed, a)}`);
    return 1;
  }
  const elapsedS = (systemClock.nowMs() - startMs) / 1000;
  console.log(
    `summary: ${totals.seeds} seeds (${a.first}..${a.first + a.seeds - 1}) passed in ` +
      `${elapsedS.toFixed(1)} s ` +
      `(${(totals.seeds / elapsedS).toFixed(1)} seeds/s, ${a.jobs} job${a.jobs > 1 ? 's' : ''}); ` +
      `${totals.events} events, ${(totals.virtualMs / 1000).toFixed(0)} virtual s, ` +
      `${totals.acks} acknowledged ` +
      `writes, ${totals.reads} checked reads, ${totals.leaders} leaders, ${totals.crashes} crashes`,
  );
  return 0;
}


function summarize(r: SimResult): string {
  return (
    `members=${r.members} events=${r.events} virtual=${r.virtualMs}ms acks=${r.acks} ` +
    `reads=${r.reads} leaders=${r.leaders} crashes=${r.crashes} committed=${r.committed}`
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === 'control-plane') {
    // The control-plane simulation (src/sim/control-plane/main.ts) has its own flags.
    const { controlPlaneMain } = await import('./control-plane/main.js');
    process.exitCode = await controlPlaneMain(process.argv.slice(3));
    return;
  }
  const a = parseArgs(process.argv.slice(2));
  const code = a.seed !== undefined ? await replay(a, a.seed) : await sweep(a);
  process.exitCode = code;
}

if (isMainThread) {
  await main();
} else {
  const { args, job } = workerData as { args: Args; job: number };
  await sweepShard(args, job, (r) => parentPort!.postMessage(r));
}
