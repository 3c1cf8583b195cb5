/**
 * `npm run sim` — the deterministic simulator's command line.
 *
 *   npm run sim -- --seeds 100000          seeds 1..N, progress and a summary (seeds/second)
 *   npm run sim -- --seed 42               replay one seed with the verbose event log
 *   options: --members 3|5  --steps N  --first S  --storage durable|memory  --membership
 *
 * A failure prints the seed, the violation and the exact replay command, and exits 1. Real time is
 * read only to report throughput (through src/base's systemClock); it never reaches the simulation.
 */
import { systemClock } from '../base/clock.js';
import { runSeed, type SimOptions, type SimResult } from './cluster.js';

/** DEFAULT_STEPS is events per safety phase: a few virtual seconds of faults per seed. */
export const DEFAULT_STEPS = 4000;

interface Args {
  seeds: number;
  first: number;
  seed: number | undefined;
  members: number | undefined;
  steps: number;
  storage: 'durable' | 'memory';
  membership: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { seeds: 100, first: 1, seed: undefined, members: undefined, steps: DEFAULT_STEPS, storage: 'durable', membership: true };
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
      case '--membership': args.membership = true; break;
      case '--no-membership': args.membership = false; break;
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  if (args.members !== undefined && args.members !== 3 && args.members !== 5) throw new Error('--members is 3 or 5');
  return args;
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got ${v}`);
  return n;
}

/** replayCommand is the command that reruns one seed exactly as this run did. */
export function replayCommand(seed: number, a: Pick<Args, 'members' | 'steps' | 'storage' | 'membership'>): string {
  let cmd = `npm run sim -- --seed ${seed}`;
  if (a.members !== undefined) cmd += ` --members ${a.members}`;
  if (a.steps !== DEFAULT_STEPS) cmd += ` --steps ${a.steps}`;
  if (a.storage !== 'durable') cmd += ` --storage ${a.storage}`;
  if (!a.membership) cmd += ' --no-membership';
  return cmd;
}

function optionsFor(seed: number, a: Args, log?: (line: string) => void): SimOptions {
  return { seed, members: a.members, steps: a.steps, storage: a.storage, membershipChanges: a.membership, log };
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

async function sweep(a: Args): Promise<number> {
  const startMs = systemClock.nowMs();
  let lastReportMs = startMs;
  const totals = { acks: 0, reads: 0, crashes: 0, leaders: 0, virtualMs: 0, events: 0 };
  const last = a.first + a.seeds - 1;
  for (let seed = a.first; seed <= last; seed++) {
    let r: SimResult;
    try {
      r = await runSeed(optionsFor(seed, a));
    } catch (err) {
      console.error(`\nseed ${seed}: FAILED: ${(err as Error).message}`);
      console.error(`replay: ${replayCommand(seed, a)}`);
      return 1;
    }
    totals.acks += r.acks;
    totals.reads += r.reads;
    totals.crashes += r.crashes;
    totals.leaders += r.leaders;
    totals.virtualMs += r.virtualMs;
    totals.events += r.events;
    const nowMs = systemClock.nowMs();
    if (nowMs - lastReportMs > 5000 || seed === last) {
      lastReportMs = nowMs;
      const rate = (seed - a.first + 1) / ((nowMs - startMs) / 1000);
      console.log(`seeds ${a.first}..${seed} ok (${rate.toFixed(1)} seeds/s)`);
    }
  }
  const elapsedS = (systemClock.nowMs() - startMs) / 1000;
  console.log(
    `summary: ${a.seeds} seeds passed in ${elapsedS.toFixed(1)} s (${(a.seeds / elapsedS).toFixed(1)} seeds/s); ` +
      `${totals.events} events, ${(totals.virtualMs / 1000).toFixed(0)} virtual s, ${totals.acks} acknowledged ` +
      `writes, ${totals.reads} checked reads, ${totals.leaders} leaders, ${totals.crashes} crashes`,
  );
  return 0;
}

function summarize(r: SimResult): string {
  return `members=${r.members} events=${r.events} virtual=${r.virtualMs}ms acks=${r.acks} reads=${r.reads} leaders=${r.leaders} crashes=${r.crashes} committed=${r.committed}`;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const code = a.seed !== undefined ? await replay(a, a.seed) : await sweep(a);
  process.exitCode = code;
}

await main();
