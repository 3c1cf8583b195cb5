/**
 * The API benchmark's report: markdown tables ready for docs/benchmarks.md — latency percentiles
 * per operation and rate for each system with the k8ts/etcd ratio of every figure, where the CPU
 * went (API servers vs store members vs the load client vs other tenants), the watch fan-out, and
 * the target (mutating p99 ≤ 50 ms at 200/s).
 */
import { errorSum, type OpenLoopResult } from './api-load.js';
import { mismatches, type FanoutResult } from './api-watch.js';
import { percentile } from './stats.js';

export type OpName = 'create' | 'get' | 'list' | 'update';
export const OPS: readonly OpName[] = ['create', 'get', 'list', 'update'];
const MUTATING: readonly OpName[] = ['create', 'update'];

/** TARGET_P99_MS at TARGET_RATE: the target for mutating requests. */
export const TARGET_P99_MS = 50;
export const TARGET_RATE = 200;

/** StepCpu is the average cores each party used over a step's measured window. */
export interface StepCpu {
  apiCores: number;
  storeCores: number;
  clientCores: number;
  foreignCores: number;
}

export interface StepResult {
  op: OpName;
  ratePerSec: number;
  r: OpenLoopResult;
  cpu: StepCpu;
}

export interface SystemRun {
  kind: 'k8ts' | 'etcd';
  label: string;
  steps: StepResult[];
  fanout?: FanoutResult;
  /** RSS after the run, MiB: API servers in member order, store members in member order. */
  rssApiMiB: number[];
  rssStoreMiB: number[];
  notes: string[];
  failed?: string;
}

export interface ReportOptions {
  command: string;
  commit: string;
  pods: number;
  watchers: number;
  watchWritesPerSec: number;
}

const QS = [50, 90, 99, 100] as const;

function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
}

function quantiles(sorted: readonly number[]): number[] {
  return QS.map((q) => percentile(sorted, q));
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}

/** errorText lists errors and drops: "409×3 timeout×1 dropped×20", or 0. */
export function errorText(r: OpenLoopResult): string {
  const parts = [...r.errors].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code}×${n}`);
  if (r.dropped > 0) parts.push(`dropped×${r.dropped}`);
  return parts.length === 0 ? '0' : parts.join(' ');
}

/** achieved is the rate of 2xx answers to requests due in the measured window. */
export function achieved(r: OpenLoopResult): number {
  return r.latenciesMs.length / r.seconds;
}

/** stepLine is the one-line progress report of a step. */
export function stepLine(label: string, s: StepResult): string {
  const q = quantiles(s.r.latenciesMs).map(fmt).join(' / ');
  const c = s.cpu;
  return `${label.padEnd(12)} ${s.op.padEnd(6)} @${String(s.ratePerSec).padStart(4)}/s  ` +
    `achieved ${achieved(s.r).toFixed(0).padStart(4)}/s  p50/p90/p99/max ${q} ms  ` +
    `errors ${errorText(s.r)}  cores: api ${c.apiCores.toFixed(2)} ` +
    `store ${c.storeCores.toFixed(2)} client ${c.clientCores.toFixed(2)} ` +
    `foreign ${c.foreignCores.toFixed(2)}`;
}

/** printApiReport prints every table; a missing system leaves its columns n/a. */
export function printApiReport(runs: readonly SystemRun[], o: ReportOptions): void {
  const k = runs.find((r) => r.kind === 'k8ts');
  const e = runs.find((r) => r.kind === 'etcd');
  console.log(`\n# ${o.command} (commit ${o.commit}, ${new Date().toISOString().slice(0, 10)})`);
  for (const r of runs) {
    if (r.failed) console.log(`**${r.label} FAILED:** ${r.failed}`);
    for (const n of r.notes) console.log(`Note (${r.label}): ${n}`);
  }
  printLatency(k, e);
  printCpu(k, e);
  printFanout(k, e, o);
  printRss(runs);
  printTarget(k, e);
}

function stepOf(run: SystemRun | undefined, op: OpName, rate: number): StepResult | undefined {
  return run?.steps.find((s) => s.op === op && s.ratePerSec === rate);
}

interface Row {
  op: OpName;
  rate: number;
  ks: StepResult | undefined;
  es: StepResult | undefined;
}

/** rows pairs the two systems' steps, operation by operation, rate by rate. */
function rows(k: SystemRun | undefined, e: SystemRun | undefined): Row[] {
  const all = [...(k?.steps ?? []), ...(e?.steps ?? [])].map((s) => s.ratePerSec);
  const rates = [...new Set(all)].sort((a, b) => a - b);
  return OPS.flatMap((op) => rates.map((rate) => ({
    op, rate, ks: stepOf(k, op, rate), es: stepOf(e, op, rate),
  }))).filter((r) => r.ks !== undefined || r.es !== undefined);
}

function either(s: StepResult | undefined, f: (s: StepResult) => string): string {
  return s ? f(s) : 'n/a';
}

function printLatency(k: SystemRun | undefined, e: SystemRun | undefined): void {
  const kl = k?.label ?? 'k8ts';
  const el = e?.label ?? 'etcd';
  console.log('\nLatency in ms from each request\'s scheduled send time: p50 / p90 / p99 / max.\n');
  console.log(`| op | rate/s | achieved/s ${kl} / ${el} | ${kl} | ${el} | ratio k8ts / etcd ` +
    `| errors ${kl} / ${el} |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const { op, rate, ks, es } of rows(k, e)) {
    const kq = quantiles(ks?.r.latenciesMs ?? []);
    const eq = quantiles(es?.r.latenciesMs ?? []);
    const ach = (s: StepResult): string => achieved(s.r).toFixed(0);
    const ratios = kq.map((x, i) => ratio(x, eq[i]!)).join(' / ');
    const errs = `${either(ks, (s) => errorText(s.r))} / ${either(es, (s) => errorText(s.r))}`;
    console.log(`| ${op} | ${rate} | ${either(ks, ach)} / ${either(es, ach)} ` +
      `| ${kq.map(fmt).join(' / ')} | ${eq.map(fmt).join(' / ')} | ${ratios} | ${errs} |`);
  }
}

function printCpu(k: SystemRun | undefined, e: SystemRun | undefined): void {
  console.log('\nCores used over each measured window: API servers (all 3) + store members');
  console.log('(all 3); client = the load generator; foreign = everything else on the machine.\n');
  console.log(`| op | rate/s | ${k?.label ?? 'k8ts'}: api + store ` +
    `| ${e?.label ?? 'etcd'}: api + store | client k8ts / etcd | foreign k8ts / etcd |`);
  console.log('|---|---|---|---|---|---|');
  const both = (s: StepResult): string =>
    `${s.cpu.apiCores.toFixed(2)} + ${s.cpu.storeCores.toFixed(2)}`;
  const client = (s: StepResult): string => s.cpu.clientCores.toFixed(2);
  const foreign = (s: StepResult): string => s.cpu.foreignCores.toFixed(2);
  for (const { op, rate, ks, es } of rows(k, e)) {
    console.log(`| ${op} | ${rate} | ${either(ks, both)} | ${either(es, both)} ` +
      `| ${either(ks, client)} / ${either(es, client)} ` +
      `| ${either(ks, foreign)} / ${either(es, foreign)} |`);
  }
}

function printFanout(k: SystemRun | undefined, e: SystemRun | undefined, o: ReportOptions): void {
  const kf = k?.fanout;
  const ef = e?.fanout;
  if (!kf && !ef) return;
  console.log(`\nWatch fan-out: ${o.watchers} watchers over the 3 API servers, one writer at ` +
    `${o.watchWritesPerSec}/s (creates and PUT updates alternating).\n`);
  console.log(`| delivery, ms | ${k?.label ?? 'k8ts'} | ${e?.label ?? 'etcd'} | ratio |`);
  console.log('|---|---|---|---|');
  const row = (name: string, f: (x: FanoutResult) => number, isMs = true): void => {
    const a = kf ? f(kf) : NaN;
    const b = ef ? f(ef) : NaN;
    const show = (x: number): string => (isMs ? fmt(x) : Number.isFinite(x) ? String(x) : 'n/a');
    console.log(`| ${name} | ${show(a)} | ${show(b)} | ${isMs ? ratio(a, b) : ''} |`);
  };
  row('from write answer: p50', (x) => percentile(x.fromAckMs, 50));
  row('from write answer: p99', (x) => percentile(x.fromAckMs, 99));
  row('from write answer: max', (x) => percentile(x.fromAckMs, 100));
  row('from write sent: p50', (x) => percentile(x.fromSendMs, 50));
  row('from write sent: p99', (x) => percentile(x.fromSendMs, 99));
  row('events delivered (acked writes × watchers)', (x) => x.fromAckMs.length, false);
  row('acknowledged writes', (x) => x.acked, false);
  row('write errors', (x) => errorSum(x.writes.errors) + x.writes.dropped, false);
  row('**mismatches** (missing + duplicate + out of order)', mismatches, false);
  row('events of unanswered writes', (x) => x.unacknowledged, false);
  row('failed watch streams', (x) => x.failedWatchers, false);
}

function printRss(runs: readonly SystemRun[]): void {
  console.log('');
  for (const r of runs) {
    const f = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(' / ');
    console.log(`RSS after the run, MiB — ${r.label}: API servers ${f(r.rssApiMiB)}; ` +
      `store members ${f(r.rssStoreMiB)}`);
  }
}

function printTarget(k: SystemRun | undefined, e: SystemRun | undefined): void {
  console.log('');
  for (const run of [k, e]) {
    if (!run) continue;
    const parts = MUTATING.map((op) => {
      const s = stepOf(run, op, TARGET_RATE);
      if (!s) return `${op} not run at ${TARGET_RATE}/s`;
      const p99 = percentile(s.r.latenciesMs, 99);
      const clean = errorSum(s.r.errors) === 0 && s.r.dropped === 0;
      const ok = p99 <= TARGET_P99_MS && clean;
      return `${op} p99 ${fmt(p99)} ms${clean ? '' : ' (with errors)'} ${ok ? '✓' : '✗'}`;
    });
    const what = `Target mutating p99 ≤ ${TARGET_P99_MS} ms at ${TARGET_RATE}/s`;
    console.log(`${what} — ${run.label}: ${parts.join(', ')}`);
  }
}
