/**
 * K8tsGroup runs a k8ts Raft group for benchmarks exactly as a user does: through the `k8ts` CLI
 * (up / kill / restart / down) with its own K8TS_HOME and a generated cluster-config, and talks to
 * members over their gRPC member API.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TIMING, loadClusterConfig, statePaths, type ClusterConfig, type MemberSpec } from '../../src/cluster/config.js';
import { MemberClients } from '../../src/cluster/member-client.js';
import { unary } from '../../src/rpc/unary.js';
import type { BenchCluster, LeaderInfo } from './cluster.js';

/** Timing under test: the default cluster-config's (10 ms ticks, heartbeat every 3 ticks, election
 *  timeout 15–30 ticks), so the figures are what a user of `npm start` gets. */
const T = DEFAULT_TIMING;
export const K8TS_BENCH_TIMING = { ...T, heartbeatMs: T.tickMs * T.heartbeatTicks, electionMs: T.tickMs * T.electionTicks };

const CLI = ['--import', 'tsx', join(import.meta.dirname, '../../src/cli/main.ts')];

export class K8tsGroup implements BenchCluster {
  readonly label = 'k8ts';
  readonly names: string[];
  private readonly home = mkdtempSync(join(tmpdir(), 'k8ts-bench-'));
  private readonly configPath: string;
  private readonly cfg: ClusterConfig;
  private readonly clients: MemberClients;

  constructor(size: number, basePort = 31000) {
    this.names = Array.from({ length: size }, (_, i) => `m${i + 1}`);
    this.configPath = join(this.home, 'bench.yaml');
    const t = K8TS_BENCH_TIMING;
    writeFileSync(this.configPath, [
      'name: bench',
      'members:',
      ...this.names.map((name, i) => `  - { id: ${i + 1}, name: ${name}, address: "127.0.0.1:${basePort + i}" }`),
      `timing: { tickMs: ${t.tickMs}, electionTicks: ${t.electionTicks}, heartbeatTicks: ${t.heartbeatTicks} }`,
      '',
    ].join('\n'));
    this.cfg = loadClusterConfig(this.configPath);
    this.clients = new MemberClients(this.cfg);
  }

  private cli(...args: string[]): string {
    const r = spawnSync(process.execPath, [...CLI, ...args, '--name', this.cfg.name], { env: { ...process.env, K8TS_HOME: this.home }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`k8ts ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  async start(): Promise<void> {
    this.cli('up', '-f', this.configPath);
  }

  async leader(timeoutMs = 300): Promise<LeaderInfo | undefined> {
    const answers = await this.clients.statuses(timeoutMs);
    let best: LeaderInfo | undefined;
    for (const s of answers) {
      if (s?.role !== 'leader') continue;
      if (!best || s.term > best.term) best = { name: s.name, term: s.term };
    }
    return best;
  }

  /** write is one attempt at one member (no retries: the benchmarks count failures themselves). */
  async write(name: string, key: string, value: Buffer, deadlineMs: number): Promise<void> {
    const c = this.clients.client(this.member(name).address);
    await unary(c, c.propose, { data: Buffer.concat([Buffer.from(key), Buffer.from([0]), value]) }, deadlineMs);
  }

  async applied(name: string): Promise<number | undefined> {
    return (await this.clients.status(this.member(name), 300))?.applied;
  }

  pid(name: string): number | undefined {
    // The supervisor's pid file, checked against /proc so a stale file is not trusted.
    try {
      const pid = Number(readFileSync(join(statePaths(this.cfg.name, 'data', { K8TS_HOME: this.home }).pids, `${name}.pid`), 'utf8').trim());
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('member-main') ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  kill(name: string): void {
    const pid = this.pid(name);
    if (pid) process.kill(pid, 'SIGKILL');
  }

  async restart(name: string): Promise<void> {
    this.cli('restart', name);
  }

  async stop(): Promise<void> {
    try { this.cli('down', '--purge'); } catch { /* already down */ }
    this.clients.close();
    rmSync(this.home, { recursive: true, force: true });
  }

  private member(name: string): MemberSpec {
    const m = this.cfg.members.find((x) => x.name === name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  }
}
