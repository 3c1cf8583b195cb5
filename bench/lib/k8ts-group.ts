/**
 * K8tsGroup runs a k8ts Raft group for benchmarks exactly as a user does: through the `k8ts` CLI
 * (up / kill / restart / down) with its own K8TS_HOME and a generated cluster-config, and talks to
 * members over their gRPC member API.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { RaftMemberServiceClient } from '../../src/gen/k8ts/raft/v1/member.js';
import { DEFAULT_TIMING, statePaths } from '../../src/cluster/config.js';
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
  private readonly clients = new Map<string, RaftMemberServiceClient>();
  private readonly ids = new Map<number, string>();

  constructor(size: number, basePort = 31000) {
    this.names = Array.from({ length: size }, (_, i) => `m${i + 1}`);
    const members = this.names.map((name, i) => ({ id: i + 1, name, address: `127.0.0.1:${basePort + i}` }));
    this.configPath = join(this.home, 'bench.yaml');
    const t = K8TS_BENCH_TIMING;
    writeFileSync(this.configPath, [
      'name: bench',
      'members:',
      ...members.map((m) => `  - { id: ${m.id}, name: ${m.name}, address: "${m.address}" }`),
      `timing: { tickMs: ${t.tickMs}, electionTicks: ${t.electionTicks}, heartbeatTicks: ${t.heartbeatTicks} }`,
      '',
    ].join('\n'));
    for (const m of members) {
      this.ids.set(m.id, m.name);
      this.clients.set(m.name, new RaftMemberServiceClient(m.address, grpc.credentials.createInsecure()));
    }
  }

  private cli(...args: string[]): string {
    const r = spawnSync(process.execPath, [...CLI, ...args], { env: { ...process.env, K8TS_HOME: this.home }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`k8ts ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  async start(): Promise<void> {
    this.cli('up', '-f', this.configPath);
  }

  async leader(timeoutMs = 300): Promise<LeaderInfo | undefined> {
    const answers = await Promise.all(this.names.map((n) => this.status(n, timeoutMs)));
    let best: LeaderInfo | undefined;
    for (const a of answers) {
      if (!a || a.role !== 'leader') continue;
      const name = this.ids.get(a.id);
      if (name && (!best || a.term > best.term)) best = { name, term: a.term };
    }
    return best;
  }

  private status(name: string, timeoutMs: number): Promise<{ id: number; role: string; term: number; applied: number } | undefined> {
    return new Promise((resolve) => {
      this.client(name).status({}, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        const s = res?.status;
        resolve(err || !s ? undefined : { id: s.id, role: s.role, term: s.term, applied: s.applied });
      });
    });
  }

  write(name: string, key: string, value: Buffer, deadlineMs: number): Promise<void> {
    const data = Buffer.concat([Buffer.from(key), Buffer.from([0]), value]);
    return new Promise((resolve, reject) => {
      this.client(name).propose({ data }, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async applied(name: string): Promise<number | undefined> {
    return (await this.status(name, 300))?.applied;
  }

  pid(name: string): number | undefined {
    // The supervisor's pid file, checked against /proc so a stale file is not trusted.
    try {
      const pid = Number(readFileSync(join(statePaths('bench', 'data', { K8TS_HOME: this.home }).pids, `${name}.pid`), 'utf8').trim());
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmd.includes('member-main') ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  kill(name: string): void {
    const pid = this.pid(name);
    if (pid) process.kill(pid, 'SIGKILL');
  }

  async restart(name: string): Promise<void> {
    this.cli('restart', name, '--name', 'bench');
  }

  async stop(): Promise<void> {
    try { this.cli('down', '--purge', '--name', 'bench'); } catch { /* already down */ }
    for (const c of this.clients.values()) c.close();
    rmSync(this.home, { recursive: true, force: true });
  }

  private client(name: string): RaftMemberServiceClient {
    const c = this.clients.get(name);
    if (!c) throw new Error(`no member ${name}`);
    return c;
  }
}
