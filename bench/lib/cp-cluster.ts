/**
 * CpCluster: a whole k8ts control plane for the control-plane benchmarks, started exactly as
 * `k8ts up` starts it (the Supervisor: 3 store members, 3 API servers, a controller manager and a
 * scheduler per master) from a generated config on 127.0.3.x, in a temporary K8TS_HOME that
 * stop() removes; the user's kubeconfig is not touched. The admin's ApiClient talks to the
 * component gRPC API of every master.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/base/clock.js';
import { ApiClient } from '../../src/client/api-client.js';
import { loadClusterConfig, statePaths, type ControlPlaneConfig } from '../../src/cluster/config.js';
import type { Component } from '../../src/cluster/processes.js';
import { Supervisor } from '../../src/cluster/supervisor.js';
import { processCpuMs } from './store-proc.js';

/** The components of a master whose CPU the benchmarks account for. */
const MEASURED: readonly Component[] = ['store', 'apiserver', 'controller-manager', 'scheduler'];

export interface CpClusterOptions {
  /** Leader election timing and node monitor grace period of the controller manager and scheduler. */
  controlPlane: ControlPlaneConfig;
  /** Base port: member i uses base+0..3 on 127.0.3.<i>. */
  basePort: number;
  log?: (line: string) => void;
}

export class CpCluster {
  readonly sup: Supervisor;
  private readonly home: string;
  private readonly pki: string;
  private readonly logs: string;
  private client: ApiClient | undefined;

  constructor(private readonly o: CpClusterOptions) {
    this.home = mkdtempSync(join(tmpdir(), 'k8ts-bench-cp-'));
    const p = o.basePort;
    const cp = o.controlPlane;
    const yaml = [
      'name: bench-cp',
      'members:',
      ...[1, 2, 3].map((i) => `  - { id: ${i}, name: m${i}, address: 127.0.3.${i}:${p}, client: 127.0.3.${i}:${p + 1}, ` +
        `api: 127.0.3.${i}:${p + 2}, grpc: 127.0.3.${i}:${p + 3} }`),
      `controlPlane: { leaseDurationMs: ${cp.leaseDurationMs}, renewDeadlineMs: ${cp.renewDeadlineMs}, ` +
        `retryPeriodMs: ${cp.retryPeriodMs}, nodeMonitorGracePeriodMs: ${cp.nodeMonitorGracePeriodMs} }`,
      '',
    ].join('\n');
    const file = join(this.home, 'bench-cp.yaml');
    writeFileSync(file, yaml);
    const env = { ...process.env, K8TS_HOME: this.home, K8TS_NO_MERGE: '1' };
    const cfg = loadClusterConfig(file);
    this.sup = new Supervisor(cfg, { clock: systemClock, env, log: o.log ?? (() => {}) });
    this.pki = join(statePaths(cfg.name, cfg.dataDir, env).root, 'pki');
    this.logs = statePaths(cfg.name, cfg.dataDir, env).logs;
  }

  /** start runs `k8ts up`; the admin's client exists from then on (the PKI is made by up). */
  async start(): Promise<void> {
    await this.sup.up();
    this.client = this.clientFor(['m1', 'm2', 'm3']);
  }

  /** clientFor: an admin client of the given masters' API servers only (e.g. the survivors). */
  clientFor(masters: string[]): ApiClient {
    const p = this.o.basePort;
    return new ApiClient({
      endpoints: masters.map((m) => `127.0.3.${m.slice(1)}:${p + 3}`),
      tls: { caFile: join(this.pki, 'ca.crt'), certFile: join(this.pki, 'admin.crt'), keyFile: join(this.pki, 'admin.key') },
      timeoutMs: 30_000,
    });
  }

  get api(): ApiClient {
    if (this.client === undefined) throw new Error('CpCluster: not started');
    return this.client;
  }

  /** holder: which master holds an elected component's Lease ("m2"), undefined if none. */
  async holder(lease: 'kube-controller-manager' | 'kube-scheduler'): Promise<string | undefined> {
    const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
    try {
      const l = await this.api.get<{ metadata: object; spec?: { holderIdentity?: string } }>(LEASES, 'kube-system', lease);
      const h = l.spec?.holderIdentity ?? '';
      return h === '' ? undefined : h.split('_')[0];
    } catch {
      return undefined;
    }
  }

  /** pids: every component process now running, by "m1/apiserver". */
  pids(): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of ['m1', 'm2', 'm3']) {
      for (const c of MEASURED) {
        const pid = this.sup.pidOf(this.sup.member(m), c);
        if (pid !== undefined) out.set(`${m}/${c}`, pid);
      }
    }
    return out;
  }

  /** cpuMs: utime+stime in ms of every component process now running, by "m1/apiserver". */
  cpuMs(): Map<string, number> {
    return new Map([...this.pids()].map(([unit, pid]) => [unit, processCpuMs(pid)]));
  }

  async stop(): Promise<void> {
    this.client?.close();
    // K8TS_BENCH_KEEP_LOGS=<dir>: the components' logs outlive the cluster (for reading them).
    const keep = process.env.K8TS_BENCH_KEEP_LOGS;
    if (keep !== undefined) cpSync(this.logs, join(keep, `cp-${Date.now()}`), { recursive: true });
    await this.sup.down(true).catch(() => 0);
    rmSync(this.home, { recursive: true, force: true });
  }
}
