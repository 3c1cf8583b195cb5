/**
 * Burst timeline (nodes bench, startup, with BENCH_TIMELINE=1): where a pod's create → Running
 * time goes, stage by stage, across the processes of the control plane and the kubelets. The
 * components stamp stages into per-process files when K8TS_TIMELINE names a directory
 * (src/base/timeline.ts; the static pods pass it on); the bench adds its own (create sent, create
 * answered, bind and Running seen by its watch) and reads them all after a burst. Per stage: the
 * time since the pod's create was sent and the step from the stage before, p50/p99/max over the
 * burst's pods; plus the CPU each process of the cluster used during the burst, so a wait can be
 * told from a process starved of a core.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { summarize } from './stats.js';

/** STAGES: a pod's path from its create to its bind seen, in order (first stamp of each). */
const STAGES = [
  'bench.sent', 'api.create.recv', 'api.create.seat', 'st.create.txn', 'st.create.ok',
  'api.create.done', 'bench.created', 'wc.ADDED', 'sch.add', 'sch.pop', 'sch.fit', 'bb.send',
  'api.bind.recv', 'api.bind.seat', 'st.update.txn', 'st.update.ok', 'api.bind.done',
  'sch.bound', 'wc.MODIFIED', 'bench.bound',
  // The node half (the kubelets' stamps, src/kubelet/main.ts), bound → Running seen.
  'kl.seen', 'kl.worker', 'kl.sync', 'kl.sandbox', 'kl.created', 'kl.started',
  'kl.reported:Running', 'kl.write:Running', 'kl.written:Running', 'bench.running',
] as const;

/** The bench's own moments of a pod, performance.now() of this process, by pod name. */
export interface BenchMoments {
  sent: Map<string, number>;
  created: Map<string, number>;
  bound: Map<string, number>;
  /** When the watch showed the pod Running. */
  running: Map<string, number>;
}

/** BurstTimeline: the stamp directory of one cluster and the report of each burst. */
export class BurstTimeline {
  private constructor(readonly dir: string) {}

  /**
   * fromEnv: with BENCH_TIMELINE=1, a fresh stamp directory, exported as K8TS_TIMELINE so the
   * cluster made next (its processes inherit the environment) stamps into it; else undefined.
   */
  static fromEnv(): BurstTimeline | undefined {
    if (process.env.BENCH_TIMELINE !== '1') return undefined;
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-timeline-'));
    process.env.K8TS_TIMELINE = dir;
    return new BurstTimeline(dir);
  }

  /** report: the stage table of one burst's pods (namespace ns) and the CPU lines. */
  report(ns: string, at: BenchMoments, cpu: Map<string, number>): string[] {
    const stamps = this.read(ns);
    const toEpochUs = (t: number): number => (performance.timeOrigin + t) * 1000;
    for (const [name, m] of [['bench.sent', at.sent], ['bench.created', at.created],
      ['bench.bound', at.bound], ['bench.running', at.running]] as const) {
      for (const [pod, t] of m) firstOf(stamps, `${ns}/${pod}`).set(name, toEpochUs(t));
    }
    const out = ['| stage | since create sent min / p50 / p99 / max | step from the stage before ' +
      'p50 / p99 | pods |', '|---|---|---|---|'];
    let prev: string | undefined;
    for (const stage of STAGES) {
      const line = row(stamps, stage, prev);
      if (line === undefined) continue;
      out.push(line);
      prev = stage;
    }
    // Each API server's watch cache on its own (its step: after the first one's).
    const perProcess = new Set([...stamps.values()].flatMap((s) => [...s.keys()]));
    for (const stage of [...perProcess].filter((k) => k.includes('@')).sort()) {
      const line = row(stamps, stage, stage.slice(0, stage.indexOf('@')));
      if (line !== undefined) out.push(line);
    }
    out.push(overlapLine(stamps));
    out.push(countsLine(this.counts(ns), at.sent.size));
    const busy = [...cpu].filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
    out.push('CPU during the burst, ms: ' +
      busy.map(([u, v]) => `${u} ${v.toFixed(0)}`).join(', '));
    return out;
  }

  /** read: the components' stamps of pods in ns, by pod key then stage (first stamp wins). */
  private read(ns: string): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    if (!existsSync(this.dir)) return out;
    const earliest = (s: Map<string, number>, stage: string, t: number): void => {
      if (!((s.get(stage) ?? Infinity) <= t)) s.set(stage, t);
    };
    for (const file of readdirSync(this.dir)) {
      const label = processLabel(file);
      for (const line of readFileSync(join(this.dir, file), 'utf8').split('\n')) {
        const [us, stage, key] = line.split(' ');
        if (us === undefined || stage === undefined || key === undefined) continue;
        const pod = podKey(key);
        if (!pod.startsWith(`${ns}/`)) continue;
        const s = firstOf(out, pod);
        earliest(s, stage, Number(us));
        if (stage.startsWith('wc.')) earliest(s, `${stage}@${label}`, Number(us));
      }
    }
    return out;
  }

  /**
   * counts: every stamp of an object in ns (pods and what is named after them, e.g. Events),
   * by stage and kind ("st.create.txn events"): how many store transactions, watch-cache events
   * and API calls a burst cost, repeats and other processes' stamps included (read counts only
   * the first of each).
   */
  private counts(ns: string): Map<string, number> {
    const out = new Map<string, number>();
    if (!existsSync(this.dir)) return out;
    for (const file of readdirSync(this.dir)) {
      for (const line of readFileSync(join(this.dir, file), 'utf8').split('\n')) {
        const [, stage, key] = line.split(' ');
        if (stage === undefined || key === undefined || !podKey(key).startsWith(`${ns}/`)) continue;
        const kind = key.startsWith('/registry/') ? ` ${key.split('/')[2] ?? ''}` : '';
        out.set(`${stage}${kind}`, (out.get(`${stage}${kind}`) ?? 0) + 1);
      }
    }
    return out;
  }

  /** clear forgets the stamps so far (between bursts). */
  clear(): void {
    for (const file of readdirSync(this.dir)) rmSync(join(this.dir, file), { force: true });
  }

  /** remove deletes the stamp directory. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** OVERLAP_STAGES: later stages whose first pods can run while a burst's creates are still being
 *  prepared by the API server that took them. */
const OVERLAP_STAGES = ['st.create.ok', 'wc.ADDED', 'sch.add', 'api.bind.recv', 'st.update.ok'];

/**
 * overlapLine: how many pods reached each later stage before the burst's last create left for
 * the store (the latest st.create.txn) — 0 everywhere when the API server prepares a whole burst
 * in one turn of its loop (nothing else in the cluster has anything to do meanwhile); a
 * noise-proof count where the burst's latencies on a shared machine are not.
 */
function overlapLine(stamps: Map<string, Map<string, number>>): string {
  // The burst's pods only: objects named after them (a pod's Events) have stamps of their own.
  const pods = [...stamps.values()].filter((s) => s.has('bench.sent'));
  let lastTxn = -Infinity;
  for (const s of pods) lastTxn = Math.max(lastTxn, s.get('st.create.txn') ?? -Infinity);
  const before = OVERLAP_STAGES.map((stage) => {
    let n = 0;
    for (const s of pods) if ((s.get(stage) ?? Infinity) < lastTxn) n++;
    return `${stage} ${n}`;
  });
  return `Pods past a stage before the last create's transaction left: ${before.join(', ')}`;
}

/** countsLine: stamps per pod by stage, as text. */
function countsLine(counts: Map<string, number>, pods: number): string {
  return 'Stamps per pod (all processes): ' + [...counts].sort((x, y) => x[0].localeCompare(y[0]))
    .map(([k, v]) => `${k} ${(v / Math.max(1, pods)).toFixed(2)}`).join(', ');
}

/** row: one stage's line — since the create was sent, and the step from stage `from`. */
function row(stamps: Map<string, Map<string, number>>, stage: string, from: string | undefined):
  string | undefined {
  const since: number[] = [];
  const step: number[] = [];
  for (const s of stamps.values()) {
    const t = s.get(stage);
    const t0 = s.get('bench.sent');
    if (t === undefined || t0 === undefined) continue;
    since.push((t - t0) / 1000);
    const p = from === undefined ? undefined : s.get(from);
    if (p !== undefined) step.push((t - p) / 1000);
  }
  if (since.length === 0) return undefined;
  const a = summarize(since);
  const b = summarize(step);
  // min: when the first pod reached the stage — how soon the pipeline started moving.
  return `| ${stage} | ${f(Math.min(...since))} / ${f(a.p50)} / ${f(a.p99)} / ${f(a.max)} | ` +
    `${f(b.p50)} / ${f(b.p99)} | ${since.length} |`;
}

/** processLabel: "<component>@<member>" of the process a stamp file (<pid>.tl) belongs to,
 *  from its command line (read while the cluster runs); the pid when it is gone. */
function processLabel(file: string): string {
  const pid = file.replace(/\.tl$/, '');
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return pid;
  }
  const component = /src\/(?:cluster\/)?([a-z-]+?)(?:-main)?(?:\/main)?\.m?[jt]s/.exec(cmd)?.[1];
  const member = /--member (\S+)/.exec(cmd)?.[1] ?? /--node (\S+)/.exec(cmd)?.[1];
  return `${component ?? 'node'}@${member ?? pid}`;
}

/** podKey: "ns/name" of a stamp's key ("ns/name" or a storage key "/registry/pods/ns/name"). */
function podKey(key: string): string {
  const parts = key.split('/');
  return parts.slice(-2).join('/');
}

function firstOf(m: Map<string, Map<string, number>>, key: string): Map<string, number> {
  let s = m.get(key);
  if (s === undefined) {
    s = new Map();
    m.set(key, s);
  }
  return s;
}

function f(x: number): string {
  return Number.isFinite(x) ? x.toFixed(0) : '-';
}
