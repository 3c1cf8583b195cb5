/**
 * Real etcd (Debian's etcd-server 3.4, the `etcd` binary) for tests and benchmarks: 1 or 3
 * members on 127.0.0.1 only, ephemeral ports, a fresh temp data dir, fast timing, and kill /
 * restart of one member. Every member logs to <dataDir>/<name>.log, kept on failure for reading.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { MaintenanceClient } from '../../src/gen/etcdserverpb/rpc.js';
import { freePorts } from './ports.js';

/** etcdAvailable says whether the `etcd` binary runs here. */
export function etcdAvailable(): boolean {
  return spawnSync('etcd', ['--version']).status === 0;
}

/** etcdVersion is the binary's version ("3.4.23"), or "unknown". */
export function etcdVersion(): string {
  const out = spawnSync('etcd', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
}

export interface EtcdTiming {
  heartbeatMs: number;
  electionMs: number;
}

/** EtcdMemberSpec is one member's name and loopback ports. */
export interface EtcdMemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
}

export interface SpawnEtcdOptions {
  member: EtcdMemberSpec;
  all: readonly EtcdMemberSpec[];
  dataDir: string;
  state: 'new' | 'existing';
  timing: EtcdTiming;
  token: string;
  /** Extra flags, e.g. ['--quota-backend-bytes', '...']. */
  extraArgs?: readonly string[];
}

const LOOPBACK = '127.0.0.1';

/** spawnEtcd starts one member process; its output goes to <dataDir>/<name>.log. */
export function spawnEtcd(o: SpawnEtcdOptions): ChildProcess {
  const m = o.member;
  const url = (port: number) => `http://${LOOPBACK}:${port}`;
  const cluster = o.all.map((x) => `${x.name}=${url(x.peerPort)}`).join(',');
  const log = openSync(join(o.dataDir, `${m.name}.log`), 'a');
  // prettier-ignore
  const args = [
    '--name', m.name, '--data-dir', join(o.dataDir, m.name),
    '--listen-client-urls', url(m.clientPort), '--advertise-client-urls', url(m.clientPort),
    '--listen-peer-urls', url(m.peerPort), '--initial-advertise-peer-urls', url(m.peerPort),
    '--initial-cluster', cluster, '--initial-cluster-state', o.state, '--initial-cluster-token', o.token,
    '--heartbeat-interval', String(o.timing.heartbeatMs), '--election-timeout', String(o.timing.electionMs),
    '--logger', 'zap', '--log-outputs', 'stderr',
    ...(o.extraArgs ?? []),
  ];
  const proc = spawn('etcd', args, { stdio: ['ignore', log, log] });
  closeSync(log);
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  return proc;
}

// A test run that dies (or forgets stop()) must not leave etcd processes behind.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface EtcdClusterOptions {
  /** 1 or 3 (any n ≥ 1 works). */
  members?: number;
  timing?: EtcdTiming;
  extraArgs?: readonly string[];
  /** How long start() waits for every member to see a leader (default 20 s). */
  startTimeoutMs?: number;
}

/** FAST_TIMING: elections in ~100–200 ms, so failover tests stay short. */
export const FAST_TIMING: EtcdTiming = { heartbeatMs: 10, electionMs: 100 };

/** EtcdCluster is a running etcd cluster on loopback. */
export class EtcdCluster {
  /** Client endpoints (host:port), member i at index i. */
  readonly endpoints: string[];
  private readonly procs: (ChildProcess | undefined)[];
  private readonly maint: MaintenanceClient[];

  private constructor(
    readonly dataDir: string,
    readonly members: readonly EtcdMemberSpec[],
    private readonly o: Required<Pick<EtcdClusterOptions, 'timing' | 'startTimeoutMs'>> & EtcdClusterOptions,
    private readonly token: string,
  ) {
    this.endpoints = members.map((m) => `${LOOPBACK}:${m.clientPort}`);
    this.procs = members.map(() => undefined);
    this.maint = this.endpoints.map((e) => new MaintenanceClient(e, credentials.createInsecure()));
  }

  /** start launches a fresh cluster and resolves once every member knows the leader. */
  static async start(opts: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const n = opts.members ?? 1;
    if (n < 1) throw new RangeError('an etcd cluster needs at least one member');
    const ports = await freePorts(2 * n);
    const members = Array.from({ length: n }, (_, i) => ({ name: `e${i + 1}`, clientPort: ports[2 * i]!, peerPort: ports[2 * i + 1]! }));
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-etcd-'));
    const o = { timing: FAST_TIMING, startTimeoutMs: 20_000, ...opts };
    const c = new EtcdCluster(dir, members, o, `k8ts-test-${process.pid}-${ports[0]}`);
    for (let i = 0; i < n; i++) c.spawn(i, 'new');
    try {
      await c.waitReady([...members.keys()], o.startTimeoutMs);
    } catch (e) {
      const logs = members.map((_, i) => c.logTail(i)).join('\n');
      await c.stop(true);
      throw new Error(`${(e as Error).message}\n${logs}`, { cause: e });
    }
    return c;
  }

  /** pid of member i's process, undefined when it is not running. */
  pid(i: number): number | undefined {
    const p = this.procs[i];
    return p && p.exitCode === null && p.signalCode === null ? p.pid : undefined;
  }

  /** kill SIGKILLs member i and waits for the process to be gone. */
  async kill(i: number): Promise<void> {
    const p = this.procs[i];
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  /** restart starts a killed member again from its data dir and waits until it sees a leader. */
  async restart(i: number): Promise<void> {
    await this.kill(i);
    this.spawn(i, 'existing');
    await this.waitReady([i], this.o.startTimeoutMs);
  }

  /** stop kills every member and removes the data dir (kept when keepData, for reading logs). */
  async stop(keepData = false): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.kill(i)));
    for (const m of this.maint) m.close();
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** logTail returns the last lines of member i's log (for failure messages). */
  logTail(i: number, lines = 20): string {
    const m = this.members[i]!;
    try {
      const text = readFileSync(join(this.dataDir, `${m.name}.log`), 'utf8').trimEnd().split('\n');
      return `--- ${m.name} ---\n${text.slice(-lines).join('\n')}`;
    } catch {
      return `--- ${m.name}: no log ---`;
    }
  }

  private spawn(i: number, state: 'new' | 'existing'): void {
    const member = this.members[i]!;
    this.procs[i] = spawnEtcd({
      member,
      all: this.members,
      dataDir: this.dataDir,
      state,
      timing: this.o.timing,
      token: this.token,
      extraArgs: this.o.extraArgs,
    });
  }

  private async waitReady(indexes: number[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leaders = await Promise.all(indexes.map((i) => this.leaderSeenBy(i)));
      if (leaders.every((l) => l !== undefined && l !== 0n)) return;
      for (const i of indexes) {
        const p = this.procs[i];
        if (p && (p.exitCode !== null || p.signalCode !== null)) throw new Error(`etcd ${this.members[i]!.name} exited`);
      }
      if (Date.now() > deadline) throw new Error(`etcd members ${indexes.join(',')} saw no leader within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private leaderSeenBy(i: number): Promise<bigint | undefined> {
    return new Promise((resolve) => {
      this.maint[i]!.status({}, new Metadata(), { deadline: Date.now() + 500 }, (err, res) => resolve(err ? undefined : res.leader));
    });
  }
}
