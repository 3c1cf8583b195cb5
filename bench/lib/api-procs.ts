/**
 * ApiServerProcs runs the masters' API servers for the API benchmark as separate processes, each
 * exactly the process `k8ts up` starts (src/apiserver/main.ts with a cluster config and a member
 * name, HTTPS with the cluster PKI made by the same prepareApiAccess), plus kube-apiserver's
 * --etcd-servers so the same three servers can run over either store: the k8ts store's members
 * or a real etcd cluster. Addresses are 127.0.1.1..3, as `k8ts up` gives masters; state (config,
 * PKI, logs) lives in a temporary K8TS_HOME removed by stop(); the user's kubeconfig is not
 * touched (K8TS_NO_MERGE).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareApiAccess, probeReady, type ApiAccess } from '../../src/cluster/api-access.js';
import { loadClusterConfig, statePaths } from '../../src/cluster/config.js';
import type { ApiTls } from './api-client.js';
import { sleep } from './cluster.js';

const APISERVER_MAIN = join(import.meta.dirname, '../../src/apiserver/main.ts');
/** Cluster name in the API servers' config (their state dir under the temporary K8TS_HOME). */
const CLUSTER = 'bench-api';
/** How long start() waits for every server's /readyz. */
const READY_WAIT_MS = 60_000;
/** stop() sends SIGTERM, then SIGKILL to whatever is still running after this long. */
const STOP_GRACE_MS = 3_000;

export interface ApiServerProcsOptions {
  /** Store endpoints (host:port) every API server is given with --etcd-servers. */
  etcdServers: readonly string[];
  /** How many API servers (masters). */
  count: number;
  /** Port every server listens on, each on its own 127.0.1.<i> address. */
  port: number;
  /** Extra environment of the servers (the CPU profiler's hook). */
  env?: NodeJS.ProcessEnv;
  /** Port of every server's component gRPC face (none without it). */
  grpcPort?: number;
}

export class ApiServerProcs {
  /** host:port of each server, in member order. */
  readonly addresses: string[];
  private home: string | undefined;
  private procs: ChildProcess[] = [];
  private access: ApiAccess | undefined;

  constructor(private readonly o: ApiServerProcsOptions) {
    this.addresses = Array.from({ length: o.count }, (_, i) => `127.0.1.${i + 1}:${o.port}`);
  }

  /** start spawns every server and resolves once each answers /readyz with 200. */
  async start(): Promise<void> {
    for (const a of this.addresses) await assertFree(a);
    const home = (this.home = mkdtempSync(join(tmpdir(), 'k8ts-bench-api-')));
    const config = join(home, 'bench-api.yaml');
    writeFileSync(config, this.configYaml());
    const env = { ...process.env, ...this.o.env, K8TS_HOME: home, K8TS_NO_MERGE: '1' };
    const cfg = loadClusterConfig(config, { force: true });
    const paths = statePaths(cfg.name, cfg.dataDir, env);
    const access = (this.access = prepareApiAccess(cfg, paths, env));
    this.procs = this.addresses.map((_, i) => {
      const log = openSync(this.logFile(i), 'a');
      const args = ['--import', 'tsx', APISERVER_MAIN, '--config', config, '--member', `m${i + 1}`,
        '--etcd-servers', this.o.etcdServers.join(',')];
      return spawn(process.execPath, args, { env, stdio: ['ignore', log, log] });
    });
    const fromMs = Date.now();
    for (let i = 0; i < this.procs.length; i++) {
      for (;;) {
        const p = this.procs[i]!;
        if (p.exitCode !== null || p.signalCode !== null) {
          throw new Error(`API server m${i + 1} exited during start:\n${this.logTail(15)}`);
        }
        if (await probeReady(this.addresses[i]!, access)) break;
        if (Date.now() - fromMs > READY_WAIT_MS) {
          throw new Error(`API server m${i + 1} not ready in ${READY_WAIT_MS} ms`);
        }
        await sleep(200);
      }
    }
  }

  /** configYaml: members with only what main.ts reads (name, api address). The peer addresses
   *  are never used (--etcd-servers names the store) but the config requires them. */
  private configYaml(): string {
    return [
      `name: ${CLUSTER}`,
      'members:',
      ...this.addresses.map((api, i) => `  - { id: ${i + 1}, name: m${i + 1}, ` +
        `address: "127.0.1.${i + 1}:${this.o.port + 1}", api: "${api}"` +
        (this.o.grpcPort === undefined ? '' : `, grpc: "127.0.1.${i + 1}:${this.o.grpcPort}"`) + ' }'),
      '',
    ].join('\n');
  }

  private logFile(i: number): string {
    return join(this.home ?? '.', `apiserver-m${i + 1}.log`);
  }

  /** tls is the cluster admin's client identity and the CA (valid between start and stop). */
  get tls(): ApiTls {
    if (!this.access) throw new Error('ApiServerProcs: not started');
    return { ca: this.access.ca, cert: this.access.cert, key: this.access.key };
  }

  /** pids of the servers in member order (0 for one that is not running). */
  pids(): number[] {
    return this.procs.map((p) => (p.exitCode === null && p.signalCode === null ? p.pid ?? 0 : 0));
  }

  logTail(lines = 20): string {
    return this.procs.map((_, i) => {
      try {
        const text = readFileSync(this.logFile(i), 'utf8').trimEnd().split('\n').slice(-lines);
        return `--- apiserver m${i + 1}\n${text.join('\n')}`;
      } catch {
        return `--- apiserver m${i + 1}: no log`;
      }
    }).join('\n');
  }

  keepLogs(dir: string): void {
    if (!this.home) return;
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < this.procs.length; i++) {
      copyFileSync(this.logFile(i), join(dir, `apiserver-m${i + 1}.log`));
    }
  }

  /** stop is idempotent: SIGTERM, SIGKILL after a grace period, then the state is removed. */
  async stop(): Promise<void> {
    const live = this.procs.filter((p) => p.exitCode === null && p.signalCode === null);
    const exits = live.map((p) => new Promise<void>((resolve) => p.once('exit', () => resolve())));
    for (const p of live) p.kill('SIGTERM');
    const done = await Promise.race([
      Promise.all(exits).then(() => true),
      sleep(STOP_GRACE_MS).then(() => false),
    ]);
    if (!done) {
      for (const p of live) p.kill('SIGKILL');
      await Promise.race([Promise.all(exits), sleep(STOP_GRACE_MS)]);
    }
    this.procs = [];
    if (this.home) rmSync(this.home, { recursive: true, force: true });
    this.home = undefined;
  }
}

function hostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}

/** assertFree fails fast when another process (an earlier run's server?) holds address: it
 *  would answer /readyz in place of ours. */
function assertFree(address: string): Promise<void> {
  const [host, port] = hostPort(address);
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', () => reject(new Error(`${address} is in use (another benchmark running?)`)));
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}
