/**
 * EtcdPeer runs a real etcd cluster (Debian's etcd-server 3.4) on loopback, as the peer every
 * replicated-log benchmark compares against in the same invocation. Processes are spawned by
 * test/support/etcd.ts, the same code the store conformance suite uses.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { KVClient, MaintenanceClient } from '../../src/gen/etcdserverpb/rpc.js';
import { etcdVersion, spawnEtcd, type EtcdTiming } from '../../test/support/etcd.js';
import { sleep, type BenchCluster, type LeaderInfo } from './cluster.js';

export { etcdAvailable, etcdVersion, type EtcdTiming } from '../../test/support/etcd.js';

interface EtcdMember {
  name: string;
  clientPort: number;
  peerPort: number;
  proc?: ChildProcess;
  kv: KVClient;
  maint: MaintenanceClient;
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
    m.proc = spawnEtcd({
      member: { name: m.name, clientPort: m.clientPort, peerPort: m.peerPort },
      all: this.members.map((x) => ({ name: x.name, clientPort: x.clientPort, peerPort: x.peerPort })),
      dataDir: this.dir,
      state,
      timing: this.timing,
      token: 'k8ts-bench',
    });
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
