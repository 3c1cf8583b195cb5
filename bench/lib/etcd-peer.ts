/**
 * EtcdPeer runs a real etcd cluster (Debian's etcd-server 3.4) on loopback, as the peer every
 * replicated-log benchmark compares against in the same invocation.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { KVClient, MaintenanceClient } from '../../src/gen/etcdserverpb/rpc.js';
import { sleep, type BenchCluster, type LeaderInfo } from './cluster.js';

export interface EtcdTiming {
  heartbeatMs: number;
  electionMs: number;
}

interface EtcdMember {
  name: string;
  clientPort: number;
  peerPort: number;
  proc?: ChildProcess;
  kv: KVClient;
  maint: MaintenanceClient;
}

export function etcdAvailable(): boolean {
  return spawnSync('etcd', ['--version']).status === 0;
}

export function etcdVersion(): string {
  const out = spawnSync('etcd', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
}

export class EtcdPeer implements BenchCluster {
  readonly label: string;
  readonly names: string[];
  private readonly members: EtcdMember[];
  private readonly dir = mkdtempSync(join(tmpdir(), 'k8ts-bench-etcd-'));
  private idToName = new Map<string, string>();

  constructor(size: number, private readonly timing: EtcdTiming, basePort = 32379) {
    this.label = `etcd ${etcdVersion()}`;
    this.members = Array.from({ length: size }, (_, i) => {
      const clientPort = basePort + i * 2;
      const addr = `127.0.0.1:${clientPort}`;
      const creds = grpc.credentials.createInsecure();
      return { name: `e${i + 1}`, clientPort, peerPort: clientPort + 1, kv: new KVClient(addr, creds), maint: new MaintenanceClient(addr, creds) };
    });
    this.names = this.members.map((m) => m.name);
  }

  async start(): Promise<void> {
    for (const m of this.members) this.spawn(m, 'new');
    for (let i = 0; i < 200; i++) {
      if (await this.leader(500)) return;
      await sleep(50);
    }
    await this.stop();
    throw new Error('etcd cluster did not elect a leader');
  }

  private spawn(m: EtcdMember, state: 'new' | 'existing'): void {
    const cluster = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',');
    const log = openSync(join(this.dir, `${m.name}.log`), 'a');
    m.proc = spawn('etcd', [
      '--name', m.name, '--data-dir', join(this.dir, m.name),
      '--listen-client-urls', `http://127.0.0.1:${m.clientPort}`, '--advertise-client-urls', `http://127.0.0.1:${m.clientPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--initial-cluster', cluster, '--initial-cluster-state', state, '--initial-cluster-token', 'k8ts-bench',
      '--heartbeat-interval', String(this.timing.heartbeatMs), '--election-timeout', String(this.timing.electionMs),
      '--logger', 'zap', '--log-outputs', 'stderr',
    ], { stdio: ['ignore', log, log] });
  }

  async leader(timeoutMs = 300): Promise<LeaderInfo | undefined> {
    const answers = await Promise.all(this.members.map((m) => this.status(m, timeoutMs)));
    for (const a of answers) {
      if (!a || a.leader === '0') continue;
      const name = this.idToName.get(a.leader);
      if (name) return { name, term: a.term };
    }
    return undefined;
  }

  private status(m: EtcdMember, timeoutMs: number): Promise<{ leader: string; applied: number; term: number } | undefined> {
    return new Promise((resolve) => {
      m.maint.status({}, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err || !res) return resolve(undefined);
        const id = String(res.header?.memberId ?? 0);
        this.idToName.set(id, m.name);
        resolve({ leader: String(res.leader), applied: Number(res.raftAppliedIndex), term: Number(res.raftTerm) });
      });
    });
  }

  write(name: string, key: string, value: Buffer, deadlineMs: number): Promise<void> {
    const m = this.member(name);
    return new Promise((resolve, reject) => {
      m.kv.put({ key: Buffer.from(key), value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false }, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async applied(name: string): Promise<number | undefined> {
    return (await this.status(this.member(name), 300))?.applied;
  }

  pid(name: string): number | undefined {
    const p = this.member(name).proc;
    return p && p.exitCode === null && p.signalCode === null ? p.pid : undefined;
  }

  kill(name: string): void {
    this.member(name).proc?.kill('SIGKILL');
  }

  async restart(name: string): Promise<void> {
    const m = this.member(name);
    if (m.proc && m.proc.exitCode === null && m.proc.signalCode === null) {
      await new Promise((r) => m.proc!.once('exit', r));
    }
    this.spawn(m, 'existing');
  }

  async stop(): Promise<void> {
    for (const m of this.members) {
      m.proc?.kill('SIGKILL');
      m.kv.close();
      m.maint.close();
    }
    await sleep(200);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private member(name: string): EtcdMember {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no etcd member ${name}`);
    return m;
  }
}
