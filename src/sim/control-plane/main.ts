/**
 * `npm run sim -- control-plane ...` — the control-plane simulation's command line.
 *
 *   npm run sim -- control-plane --seeds 20        seeds 1..N, progress and a summary
 *   npm run sim -- control-plane --seed 7          replay one seed with its full log
 *   options: --first S  --jobs J (worker threads, each taking every J-th seed; default:
 *            cores, at most 4)
 *            --safety-ms N  --liveness-ms N  --faults all|slow|none  --cms N  --schedulers N
 *            --strip-fences (self-test: writes lose their fence; the fencing invariant must fire)
 *
 * A failing seed prints what broke, the end of its log and the exact replay command; the exit
 * code is 1. Real time is read only here, to report throughput; it never reaches a simulation.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runShardWorkers } from '../shard-workers.js';
import { systemClock } from '../../base/clock.js';
import { DEFAULT_CP_OPTIONS, runSeed, type CpSeedResult, type CpSimOptions } from './run.js';

/** JOBS_MAX: one seed holds a whole cluster in memory; a few at a time is plenty. */
const JOBS_MAX = 4;
/** TAIL_LINES: log lines printed with a failure. */
const TAIL_LINES = 80;

interface Args {
  seeds: number;
  first: number;
  seed: number | undefined;
  jobs: number;
  sim: Partial<CpSimOptions>;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { seeds: 20, first: 1, seed: undefined, sim: {},
    jobs: Math.min(availableParallelism(), JOBS_MAX) };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (): number => positiveInt(flag, value());
    switch (flag) {
      case '--seeds': a.seeds = int(); break;
      case '--first': a.first = int(); break;
      case '--seed': a.seed = int(); break;
      case '--jobs': a.jobs = int(); break;
      case '--safety-ms': a.sim.safetyMs = int(); break;
      case '--liveness-ms': a.sim.livenessMs = int(); break;
      case '--cms': a.sim.controllerManagers = int(); break;
      case '--schedulers': a.sim.schedulers = int(); break;
      case '--strip-fences': a.sim.stripFences = true; break;
      case '--faults': {
        const v = value();
        if (v !== 'all' && v !== 'slow' && v !== 'none') throw new Error('--faults: all|slow|none');
        a.sim.faults = v;
        break;
      }
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  return a;
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: a positive integer, not ${v}`);
  return n;
}

/** replayCommand reruns one seed exactly as this run did. */
export function replayCommand(seed: number, sim: Partial<CpSimOptions>): string {
  let cmd = `npm run sim -- control-plane --seed ${seed}`;
  const d = DEFAULT_CP_OPTIONS;
  if (sim.safetyMs !== undefined && sim.safetyMs !== d.safetyMs) {
    cmd += ` --safety-ms ${sim.safetyMs}`;
  }
  if (sim.livenessMs !== undefined && sim.livenessMs !== d.livenessMs) {
    cmd += ` --liveness-ms ${sim.livenessMs}`;
  }
  if (sim.controllerManagers !== undefined) cmd += ` --cms ${sim.controllerManagers}`;
  if (sim.schedulers !== undefined) cmd += ` --schedulers ${sim.schedulers}`;
  if (sim.faults !== undefined && sim.faults !== d.faults) cmd += ` --faults ${sim.faults}`;
  if (sim.stripFences === true) cmd += ' --strip-fences';
  return cmd;
}

/** failureReport: what broke in a seed, in the order worth reading. */
export function failureReport(r: CpSeedResult): string {
  const lines = [`seed ${r.seed}: FAILED`];
  for (const v of r.violations) {
    lines.push(`  invariant ${v.invariant} at ${v.atMs} ms (revision ${v.revision}): ${v.detail}`);
  }
  for (const l of r.leaks) lines.push(`  determinism: ${l}`);
  if (r.unconverged.length > 0 && r.violations.length === 0) {
    lines.push('  did not converge after the faults were healed:');
    for (const p of r.unconverged) lines.push(`    ${p}`);
  }
  return lines.join('\n');
}

function summary(r: CpSeedResult): string {
  const ops = Object.values(r.ops).reduce((s, n) => s + n, 0);
  const s = r.stats;
  return `${r.commits} commits, ${ops} ops, ${(r.virtualMs / 1000).toFixed(0)} virtual s, ` +
    `${s.binds} binds, ${s.podDeletions} pod deletions (${s.evictions} evictions), ` +
    `${s.fencedWrites} fenced writes (${s.fenceRefusals} refused), ` +
    `${s.lostRequests + s.lostAnswers} requests failed, ` +
    `converged ${r.convergedAfterMs ?? '-'} ms after heal, ` +
    `digest ${r.digest}`;
}

async function replay(a: Args, seed: number): Promise<number> {
  const r = await runSeed(seed, { ...a.sim, echo: (line) => console.log(line) });
  console.log(`controllers: ${r.controllers.join(', ')}; ops: ${JSON.stringify(r.ops)}`);
  if (r.ok) {
    console.log(`seed ${seed}: ok: ${summary(r)}`);
    return 0;
  }
  console.error(failureReport(r));
  return 1;
}

/** Report is what a sweep shard posts per seed. */
type Report = { kind: 'seed'; result: CpSeedResult } | { kind: 'done' };

async function shard(a: Args, job: number, report: (r: Report) => void): Promise<void> {
  const last = a.first + a.seeds - 1;
  for (let seed = a.first + job; seed <= last; seed += a.jobs) {
    const result = await runSeed(seed, a.sim);
    report({ kind: 'seed', result: result.ok ? { ...result, log: [] } : result });
    if (!result.ok) break;
  }
  report({ kind: 'done' });
}

async function sweep(a: Args): Promise<number> {
  const startMs = systemClock.nowMs();
  const failed: CpSeedResult[] = [];
  let passed = 0;
  let virtualMs = 0;
  let commits = 0;
  const onReport = (r: Report): void => {
    if (r.kind !== 'seed') return;
    const res = r.result;
    if (!res.ok) {
      failed.push(res);
      return;
    }
    passed++;
    virtualMs += res.virtualMs;
    commits += res.commits;
    console.log(`seed ${res.seed}: ok: ${summary(res)}`);
  };
  if (a.jobs === 1) await shard(a, 0, onReport);
  else {
    await runShardWorkers<Report>({
      module: import.meta.url, jobs: a.jobs, workerData: { cpSim: true, args: a }, onReport,
      fails: (r) => r.kind === 'seed' && !r.result.ok,
    });
  }
  const elapsedS = (systemClock.nowMs() - startMs) / 1000;
  const first = failed.sort((x, y) => x.seed - y.seed)[0];
  if (first !== undefined) {
    console.error(`\n${first.log.slice(-TAIL_LINES).join('\n')}\n`);
    console.error(failureReport(first));
    console.error(`replay: ${replayCommand(first.seed, a.sim)}`);
    return 1;
  }
  console.log(`summary: ${passed} seeds (${a.first}..${a.first + a.seeds - 1}) passed in ` +
    `${elapsedS.toFixed(1)} s (${a.jobs} job${a.jobs > 1 ? 's' : ''}); ${commits} commits, ` +
    `${(virtualMs / 1000).toFixed(0)} virtual s`);
  return 0;
}


/** controlPlaneMain is the command; src/sim/main.ts dispatches `control-plane` here. */
export async function controlPlaneMain(argv: readonly string[]): Promise<number> {
  const a = parseArgs(argv);
  return a.seed !== undefined ? replay(a, a.seed) : sweep(a);
}

const data = workerData as { cpSim?: boolean; args: Args; job: number } | null;
if (!isMainThread && data?.cpSim === true) {
  await shard(data.args, data.job, (r) => parentPort?.postMessage(r));
}
