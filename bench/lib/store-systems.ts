/**
 * The two systems the store benchmark compares, each a fresh 3-member cluster on loopback with
 * fsync on and the same heartbeat/election timing, reached only through etcd's v3 gRPC API:
 *  - K8tsStore: k8ts members started by the Supervisor (what `k8ts up` does) from a generated
 *    cluster-config in a temporary K8TS_HOME;
 *  - EtcdStore: Debian's etcd 3.4 (`etcd`), one process per member, data in a temp dir.
 * start() returns once every endpoint answers Status, all agree on a leader and a Put through the
 * leader succeeded; stop() is idempotent and removes every file the system wrote.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/base/clock.js';
import { loadClusterConfig } from '../../src/cluster/config.js';
import { Supervisor } from '../../src/cluster/supervisor.js';
import { sleep } from './cluster.js';
import { K8TS_BENCH_TIMING } from './k8ts-group.js';
import { roles, STORE_BENCH_CLIENT, StoreEndpoint, type Roles } from './store-endpoint.js';
import { profilingEnv } from './store-prof.js';

export type SystemKind = 'k8ts' | 'etcd';

export interface StoreSystem {
  readonly kind: SystemKind;
  /** Name in reports: "k8ts", "etcd 3.4.23". */
  readonly label: string;
  /** One endpoint per member, in member order; valid between start() and stop(). */
  readonly endpoints: readonly StoreEndpoint[];
  /** Which addresses the endpoints use and anything unusual about this start. */
  notes: string[];
  start(): Promise<void>;
  /** Member pids in endpoint order (0 for a member that is not running). */
  pids(): number[];
  /** The last lines of every member's log, for error reports. */
  logTail(lines?: number): string;
  /** keepLogs copies every member's log into dir (before stop() deletes them). */
  keepLogs(dir: string): void;
  stop(): Promise<void>;
}

/** How long start() waits for an elected leader that every member agrees on. */
const LEADER_WAIT_MS = 30_000;
/** How long start() keeps retrying the first Put through the leader. */
const FIRST_PUT_WAIT_MS = 15_000;

/** waitReady waits for agreed roles and one successful Put through the leader. */
export async function waitReady(sys: StoreSystem, waitMs = LEADER_WAIT_MS): Promise<Roles> {
  const startMs = Date.now();
  for (;;) {
    const r = await roles(sys.endpoints, 500);
    if (r) {
      const putFrom = Date.now();
      for (;;) {
        try {
          await sys.endpoints[r.leader]!.put(Buffer.from('/bench-ready'), Buffer.from('1'), 2_000);
          return r;
        } catch (err) {
          if (Date.now() - putFrom > FIRST_PUT_WAIT_MS) throw new Error(`${sys.label}: first Put failed: ${String(err)}`, { cause: err });
          await sleep(100);
        }
      }
    }
    if (Date.now() - startMs > waitMs) throw new Error(`${sys.label}: no agreed leader within ${waitMs} ms`);
    await sleep(100);
  }
}

/** assertPortsFree fails fast (with the port) when another process holds one of ports. */
export async function assertPortsFree(ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    await new Promise<void>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', () => reject(new Error(`port 127.0.0.1:${port} is in use (another benchmark running?)`)));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
    });
  }
}

/** storeTiming: the k8ts members' timing, K8TS_BENCH_STORE_TIMING="tickMs/electionTicks/heartbeatTicks"
 *  overriding the default config's (e.g. to tell the quiet CPU of heartbeats from that of ticks). */
function storeTiming(): { tickMs: number; electionTicks: number; heartbeatTicks: number } {
  const v = process.env.K8TS_BENCH_STORE_TIMING;
  if (v === undefined || v === '') return K8TS_BENCH_TIMING;
  const [tickMs, electionTicks, heartbeatTicks] = v.split('/').map(Number);
  if (![tickMs, electionTicks, heartbeatTicks].every((n) => Number.isInteger(n) && n! > 0)) {
    throw new Error(`K8TS_BENCH_STORE_TIMING="${v}": want tickMs/electionTicks/heartbeatTicks`);
  }
  return { tickMs: tickMs!, electionTicks: electionTicks!, heartbeatTicks: heartbeatTicks! };
}

export class K8tsStore implements StoreSystem {
  readonly kind = 'k8ts';
  readonly label = 'k8ts';
  endpoints: StoreEndpoint[] = [];
  notes: string[] = [];
  private home: string | undefined;
  private sup: Supervisor | undefined;

  /** cpuProfDir: members profile themselves (V8 CPU profiler) and write the profiles there. */
  constructor(private readonly size: number, private readonly cpuProfDir?: string, private readonly basePort = 33100) {}

  private peerPort(i: number): number {
    return this.basePort + i;
  }

  private clientPort(i: number): number {
    return this.basePort + 50 + i;
  }

  async start(): Promise<void> {
    const ports = Array.from({ length: this.size }, (_, i) => [this.peerPort(i), this.clientPort(i)]).flat();
    await assertPortsFree(ports);
    this.home = mkdtempSync(join(tmpdir(), 'k8ts-bench-store-'));
    const t = storeTiming();
    if (t !== K8TS_BENCH_TIMING) this.notes.push(`timing ${t.tickMs} ms ticks, election ${t.electionTicks}, heartbeat ${t.heartbeatTicks}`);
    const file = join(this.home, 'bench-store.yaml');
    writeFileSync(file, [
      'name: bench-store',
      'members:',
      ...Array.from({ length: this.size }, (_, i) =>
        `  - { id: ${i + 1}, name: m${i + 1}, address: "127.0.0.1:${this.peerPort(i)}", client: "127.0.0.1:${this.clientPort(i)}" }`),
      `timing: { tickMs: ${t.tickMs}, electionTicks: ${t.electionTicks}, heartbeatTicks: ${t.heartbeatTicks} }`,
      '',
    ].join('\n'));
    const cfg = loadClusterConfig(file);
    let env: NodeJS.ProcessEnv = { ...process.env, K8TS_HOME: this.home };
    const memberFlags = process.env.K8TS_BENCH_MEMBER_NODE_OPTIONS;
    if (memberFlags) {
      // Node flags for the members only (not this load generator), e.g. a young-generation
      // size or an --import hook that traces GC; the note makes the run's figures traceable.
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} ${memberFlags}`.trim();
      this.notes.push(`member NODE_OPTIONS += ${memberFlags}`);
    }
    const memberArgs = process.env.K8TS_BENCH_MEMBER_NODE_ARGS;
    if (memberArgs) {
      // Node arguments NODE_OPTIONS refuses (--interrupt-budget, --no-opt, --cpu-prof), for the
      // members only: the Supervisor puts K8TS_NODE_ARGS before the entry point.
      env.K8TS_NODE_ARGS = `${env.K8TS_NODE_ARGS ?? ''} ${memberArgs}`.trim();
      this.notes.push(`member node args += ${memberArgs}`);
    }
    if (this.cpuProfDir !== undefined) {
      env = profilingEnv(this.cpuProfDir, env);
      this.notes.push(`members profiled (profiles in ${this.cpuProfDir}): figures not comparable`);
    }
    this.sup = new Supervisor(cfg, { clock: systemClock, env, leaderTimeoutMs: LEADER_WAIT_MS });
    await this.sup.up();
    // Clients connect where etcd clients would: the client port; the peer port serves the same
    // API, and is the fallback when a member does not listen on its client port.
    const clientEps = cfg.members.map((m) => new StoreEndpoint(m.client!));
    const answered = await Promise.all(clientEps.map((e) => waitStatus(e, 3_000)));
    if (answered.every(Boolean)) {
      this.endpoints = clientEps;
      this.notes.push(`endpoints: client ports, ${STORE_BENCH_CLIENT} client`);
    } else {
      for (const e of clientEps) e.close();
      this.endpoints = cfg.members.map((m) => new StoreEndpoint(m.address));
      this.notes.push('endpoints: PEER ports (members did not answer on their client ports)');
    }
    await waitReady(this);
  }

  pids(): number[] {
    return this.sup ? this.sup.cfg.members.map((m) => this.sup!.pidOf(m) ?? 0) : [];
  }

  logTail(lines = 20): string {
    if (!this.sup) return '';
    return this.sup.cfg.members.map((m) => {
      try {
        const text = readFileSync(this.sup!.logFile(m), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
        return `--- ${m.name}\n${text}`;
      } catch {
        return `--- ${m.name}: no log`;
      }
    }).join('\n');
  }

  keepLogs(dir: string): void {
    if (!this.sup) return;
    mkdirSync(dir, { recursive: true });
    for (const m of this.sup.cfg.members) copyFileSync(this.sup.logFile(m), join(dir, `${m.name}.log`));
  }

  async stop(): Promise<void> {
    for (const e of this.endpoints.splice(0)) e.close();
    if (this.sup) {
      try {
        await this.sup.down(true);
      } catch {
        // Members already gone.
      }
      this.sup = undefined;
    }
    if (this.home) rmSync(this.home, { recursive: true, force: true });
    this.home = undefined;
  }
}

async function waitStatus(e: StoreEndpoint, waitMs: number): Promise<boolean> {
  const startMs = Date.now();
  while (Date.now() - startMs < waitMs) {
    if (await e.status(300)) return true;
    await sleep(100);
  }
  return false;
}

export function etcdVersionOrUndefined(): string | undefined {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return /etcd Version: (\S+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
}

export class EtcdStore implements StoreSystem {
  readonly kind = 'etcd';
  readonly label: string;
  endpoints: StoreEndpoint[] = [];
  notes: string[] = [];
  private dir: string | undefined;
  private procs: ChildProcess[] = [];

  constructor(private readonly size: number, version: string, private readonly basePort = 34379) {
    this.label = `etcd ${version}`;
  }

  private clientPort(i: number): number {
    return this.basePort + i * 2;
  }

  async start(): Promise<void> {
    await assertPortsFree(Array.from({ length: this.size }, (_, i) => [this.clientPort(i), this.clientPort(i) + 1]).flat());
    const dir = (this.dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-store-etcd-')));
    const t = K8TS_BENCH_TIMING;
    const names = Array.from({ length: this.size }, (_, i) => `e${i + 1}`);
    const cluster = names.map((n, i) => `${n}=http://127.0.0.1:${this.clientPort(i) + 1}`).join(',');
    this.procs = names.map((name, i) => {
      const client = `http://127.0.0.1:${this.clientPort(i)}`;
      const peer = `http://127.0.0.1:${this.clientPort(i) + 1}`;
      const log = openSync(join(dir, `${name}.log`), 'a');
      return spawn('etcd', [
        '--name', name, '--data-dir', join(dir, name),
        '--listen-client-urls', client, '--advertise-client-urls', client,
        '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
        '--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'k8ts-bench-store',
        '--heartbeat-interval', String(t.heartbeatMs), '--election-timeout', String(t.electionMs),
        '--logger', 'zap', '--log-outputs', 'stderr',
      ], { stdio: ['ignore', log, log] });
    });
    this.endpoints = names.map((_, i) => new StoreEndpoint(`127.0.0.1:${this.clientPort(i)}`));
    this.notes.push(`endpoints: client ports, ${STORE_BENCH_CLIENT} client`);
    await waitReady(this);
  }

  pids(): number[] {
    return this.procs.map((p) => (p.exitCode === null && p.signalCode === null ? p.pid ?? 0 : 0));
  }

  logTail(lines = 20): string {
    if (!this.dir) return '';
    return this.procs.map((_, i) => {
      try {
        const text = readFileSync(join(this.dir!, `e${i + 1}.log`), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
        return `--- e${i + 1}\n${text}`;
      } catch {
        return `--- e${i + 1}: no log`;
      }
    }).join('\n');
  }

  keepLogs(dir: string): void {
    if (!this.dir) return;
    mkdirSync(dir, { recursive: true });
    for (let i = 1; i <= this.procs.length; i++) copyFileSync(join(this.dir, `e${i}.log`), join(dir, `e${i}.log`));
  }

  async stop(): Promise<void> {
    for (const e of this.endpoints.splice(0)) e.close();
    // SIGKILL: on SIGTERM an etcd leader first tries to hand leadership to a follower, which
    // stalls shutdown for seconds when the followers are stopping too; the data is discarded.
    const exits = this.procs.map((p) => (p.exitCode === null && p.signalCode === null
      ? new Promise<void>((resolve) => p.once('exit', () => resolve()))
      : Promise.resolve()));
    for (const p of this.procs) p.kill('SIGKILL');
    await Promise.race([Promise.all(exits), sleep(5_000)]);
    this.procs = [];
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
