/**
 * Benchmark entry point: `npm run bench -- <name> [flags]`. Results and the commands that produced
 * them are recorded in docs/benchmarks.md.
 *
 *   raft-throughput [--members 3] [--levels 1,16,64,256] [--seconds 6] [--only k8ts|etcd]
 *   raft-failover   [--members 3] [--kills 20] [--only k8ts|etcd]
 *   raft-soak       [--members 3] [--minutes 10] [--inflight 64]
 *   store           [--members 3] [--rounds 2] [--seconds 6] [--only k8ts|etcd] [--tests put,range,watch]
 *                   [--client-threads N] (Puts with ≥ N in flight from N worker threads, a connection each)
 *                   [--cluster-warmup 3] (seconds of unmeasured Puts after start, both systems)
 *                   [--cpu-prof <dir>]  (k8ts members write V8 CPU profiles there; summarized)
 *                   [--keep-logs <dir>] (member logs copied there before each cluster is removed)
 *   api             [--rates 50,200,500] [--seconds 10] [--only k8ts|etcd] [--pods 1000] [--watchers 100]
 *                   [--keep-logs <dir>] [--ops create,get,list,update] [--cpu-prof <dir>] (API servers')
 *                   (3 API servers over a 3-member k8ts store, then the same over etcd)
 *   control-plane   [--tests failover,schedule,scaleup] [--kills 5] [--upstream-kills 2]
 *                   [--nodes 1000] [--pending 10000] [--replicas 1000]
 *                   (whole clusters as `k8ts up` starts them; see bench/control-plane-suite.ts)
 *   nodes           [--tests startup,hollow,up] [--bursts 3] [--burst-pods 100] [--warmup-bursts 0]
 *                   [--hollow-nodes 1000] [--hollow-processes 4] [--hollow-pods 30000]
 *                   [--up-runs 5] [--timeout-min 30]  (kubelets and runtimes; bench/nodes-suite.ts)
 *                   [--keep-logs <dir>] (hollow, startup: component logs kept there even when it succeeds)
 *   store-scale     [--keys 30000] [--updates 4] [--snapshot-every 40000] [--compact-s 30]
 *                   (3 store members at hollow-run scale: stalls, terms, heaps; bench/store-scale.ts)
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchCluster } from './lib/cluster.js';
import { EtcdPeer, etcdAvailable } from './lib/etcd-peer.js';
import { K8tsGroup, K8TS_BENCH_TIMING } from './lib/k8ts-group.js';
import { runFailover } from './raft-failover.js';
import { runSoak } from './raft-soak.js';
import { runThroughput } from './raft-throughput.js';
import { runApi } from './api-suite.js';
import { OPS, type OpName } from './lib/api-report.js';
import { runStore } from './store-suite.js';
import { runStoreScale } from './store-scale.js';
import { runControlPlane } from './control-plane-suite.js';
import { runNodes } from './nodes-suite.js';
import { ms, summarize } from './lib/stats.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  // store-scale parses its own flags (bench/store-scale.ts).
  args: process.argv[2] === 'store-scale' ? ['store-scale'] : process.argv.slice(2),
  options: {
    members: { type: 'string', default: '3' },
    levels: { type: 'string', default: '1,16,64,256' },
    // No default here: it differs per benchmark (6 s, the API benchmark 10 s).
    seconds: { type: 'string' },
    kills: { type: 'string', default: '20' },
    minutes: { type: 'string', default: '10' },
    inflight: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '2' },
    tests: { type: 'string', default: '' },
    'cpu-prof': { type: 'string' },
    'cluster-warmup': { type: 'string', default: '3' },
    'client-threads': { type: 'string', default: '1' },
    'keep-logs': { type: 'string' },
    only: { type: 'string' },
    rates: { type: 'string', default: '50,200,500' },
    pods: { type: 'string', default: '1000' },
    watchers: { type: 'string', default: '100' },
    ops: { type: 'string', default: 'create,get,list,update' },
    'upstream-kills': { type: 'string', default: '2' },
    nodes: { type: 'string', default: '1000' },
    pending: { type: 'string', default: '10000' },
    replicas: { type: 'string', default: '1000' },
    bursts: { type: 'string', default: '3' },
    'burst-pods': { type: 'string', default: '100' },
    'warmup-bursts': { type: 'string', default: '0' },
    'hollow-nodes': { type: 'string', default: '1000' },
    'hollow-processes': { type: 'string', default: '4' },
    'hollow-pods': { type: 'string', default: '30000' },
    'up-runs': { type: 'string', default: '5' },
    'timeout-min': { type: 'string', default: '30' },
  },
});

/** seconds is --seconds, or the benchmark's default. */
function seconds(dflt: number): number {
  return Number(values.seconds ?? dflt);
}

/** positiveInts parses a comma list of positive integers (a flag's value). */
function positiveInts(flag: string, text: string): number[] {
  const xs = text.split(',').map(Number);
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x <= 0)) {
    throw new Error(`--${flag} ${text}: expected positive integers separated by commas`);
  }
  return xs;
}

/** nonNegativeInt parses a count that may be 0 (--warmup-bursts). */
function nonNegativeInt(flag: string, text: string): number {
  const x = Number(text);
  if (text === '' || !Number.isInteger(x) || x < 0) throw new Error(`--${flag} ${text}: expected an integer ≥ 0`);
  return x;
}

/** apiOps parses --ops for the api benchmark. */
function apiOps(text: string): OpName[] {
  const ops = text.split(',');
  const bad = ops.filter((o) => !(OPS as readonly string[]).includes(o));
  if (bad.length > 0) throw new Error(`--ops ${text}: unknown ${bad.join(',')} (${OPS.join(',')})`);
  return ops as OpName[];
}

/** cpuProfDir is --cpu-prof made absolute and created. */
function cpuProfDir(): string | undefined {
  const dir = values['cpu-prof'];
  if (dir === undefined) return undefined;
  mkdirSync(dir, { recursive: true });
  return resolve(dir);
}

function systems(members: number): BenchCluster[] {
  const out: BenchCluster[] = [];
  if (values.only !== 'etcd') out.push(new K8tsGroup(members));
  if (values.only !== 'k8ts') {
    if (etcdAvailable()) {
      out.push(new EtcdPeer(members, { heartbeatMs: K8TS_BENCH_TIMING.heartbeatMs, electionMs: K8TS_BENCH_TIMING.electionMs }));
    } else {
      console.log('(etcd not installed: apt-get install -y etcd-server to compare against it)');
    }
  }
  return out;
}

async function main(): Promise<void> {
  const name = positionals[0];
  const members = Number(values.members);
  console.log(`# ${name} — members ${members}, node ${process.version}, ${new Date().toISOString()}`);
  console.log(`# timing: heartbeat ${K8TS_BENCH_TIMING.heartbeatMs} ms, election ${K8TS_BENCH_TIMING.electionMs} ms (etcd given the same)`);
  switch (name) {
    case 'raft-throughput':
      await runThroughput(systems(members), {
        levels: values.levels!.split(',').map(Number),
        warmupMs: 1000,
        measureMs: seconds(6) * 1000,
      });
      break;
    case 'raft-failover': {
      const results: { label: string; samples: number[]; leader: number[] }[] = [];
      for (const c of systems(members)) {
        const res = await runFailover(c, { kills: Number(values.kills), settleMs: 1000 });
        results.push({ label: c.label, samples: res.map((r) => r.writeMs), leader: res.map((r) => r.leaderMs) });
      }
      console.log('\n| system | kills | write OK: median | p75 | max | new leader seen: median |');
      console.log('|---|---|---|---|---|---|');
      for (const r of results) {
        const sorted = [...r.samples].sort((a, b) => a - b);
        const s = summarize(sorted);
        console.log(`| ${r.label} | ${s.count} | ${ms(s.median)} | ${ms(sorted[Math.ceil(sorted.length * 0.75) - 1] ?? NaN)} | ${ms(s.max)} | ${ms(summarize(r.leader).median)} |`);
      }
      if (results.length === 2) {
        const [a, b] = results.map((r) => summarize(r.samples).median);
        console.log(`median ratio ${results[0]!.label} / ${results[1]!.label}: ${(a! / b!).toFixed(2)}×`);
      }
      break;
    }
    case 'control-plane':
      await runControlPlane({
        tests: (values.tests || 'failover,schedule,scaleup').split(','),
        kills: Number(values.kills === '20' ? 5 : values.kills),
        upstreamKills: Number(values['upstream-kills']),
        nodes: Number(values.nodes),
        pods: Number(values.pending),
        replicas: Number(values.replicas),
        command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
      });
      break;
    case 'nodes': {
      const int = (flag: string): number => positiveInts(flag, String(values[flag as keyof typeof values]))[0]!;
      await runNodes({
        tests: (values.tests || 'startup,hollow,up').split(','),
        bursts: int('bursts'),
        burstPods: int('burst-pods'),
        warmupBursts: nonNegativeInt('warmup-bursts', values['warmup-bursts']!),
        hollowNodes: int('hollow-nodes'),
        hollowProcesses: int('hollow-processes'),
        hollowPods: int('hollow-pods'),
        upRuns: int('up-runs'),
        timeoutMin: int('timeout-min'),
        keepLogsDir: values['keep-logs'] === undefined ? undefined : resolve(values['keep-logs']),
        command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
      });
      break;
    }
    case 'store': {
      const only = values.only;
      if (values['cpu-prof'] !== undefined) mkdirSync(values['cpu-prof'], { recursive: true });
      if (only !== undefined && only !== 'k8ts' && only !== 'etcd') throw new Error(`--only ${only}: expected k8ts or etcd`);
      await runStore({
        members,
        rounds: Number(values.rounds),
        warmupMs: 1000,
        measureMs: seconds(6) * 1000,
        only,
        tests: values.tests!.split(',').filter(Boolean),
        command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
        cpuProfDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
        clusterWarmupMs: Number(values['cluster-warmup']) * 1000,
        keepLogsDir: values['keep-logs'] === undefined ? undefined : resolve(values['keep-logs']),
        clientThreads: positiveInts('client-threads', values['client-threads']!)[0]!,
      });
      break;
    }
    case 'api': {
      const only = values.only;
      if (only !== undefined && only !== 'k8ts' && only !== 'etcd') throw new Error(`--only ${only}: expected k8ts or etcd`);
      await runApi({
        ratesPerSec: positiveInts('rates', values.rates!),
        seconds: positiveInts('seconds', String(seconds(10)))[0]!,
        only,
        pods: positiveInts('pods', values.pods!)[0]!,
        watchers: positiveInts('watchers', values.watchers!)[0]!,
        command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
        keepLogsDir: values['keep-logs'] === undefined ? undefined : resolve(values['keep-logs']),
        ops: apiOps(values.ops!),
        cpuProfDir: cpuProfDir(),
      });
      break;
    }
    case 'store-scale':
      await runStoreScale(process.argv.slice(3));
      break;
    case 'raft-soak':
      await runSoak(new K8tsGroup(members), { minutes: Number(values.minutes), inflight: Number(values.inflight) });
      break;
    default:
      console.error('usage: npm run bench -- raft-throughput|raft-failover|raft-soak|store|api|control-plane|nodes [flags]  (see bench/main.ts)');
      process.exit(2);
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
