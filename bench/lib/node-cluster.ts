/**
 * NodeCluster: a whole k8ts cluster with kubelets for the nodes benchmarks, started exactly as
 * `k8ts up` starts it (the Supervisor: masters whose kubelets run the control plane as static
 * pods, workers with their runtimes, hollow node shards) from a config text, in a temporary
 * K8TS_HOME that stop() removes; the user's kubeconfig is not touched. Also what the processes
 * of the cluster weigh: RSS of every pid the cluster's pid files name and of their descendants
 * (the process runtime's containers), read from /proc.
 */
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../../src/base/clock.js';
import { ApiClient } from '../../src/client/api-client.js';
import {
  loadClusterConfig, statePaths, type ClusterConfig, type StatePaths,
} from '../../src/cluster/config.js';
import { nodePaths } from '../../src/cluster/node-paths.js';
import { ensureClusterPki, firstServiceIp, PKI_DIR_NAME } from '../../src/cluster/pki/cluster-pki.js';
import { connectCri } from '../../src/kubelet/cri/client.js';
import { Supervisor } from '../../src/cluster/supervisor.js';

export interface NodeClusterOptions {
  /** The cluster config (YAML); its name names the state dir. */
  yaml: string;
  log?: (line: string) => void;
  /** How long up() waits for the (real) nodes to be Ready. */
  nodesTimeoutMs?: number;
  /** The processes' environment (default: this process's), e.g. with a profiling hook. */
  env?: NodeJS.ProcessEnv;
}

export class NodeCluster {
  readonly sup: Supervisor;
  readonly cfg: ClusterConfig;
  readonly paths: StatePaths;
  private readonly home: string;
  private readonly env: NodeJS.ProcessEnv;
  private client: ApiClient | undefined;

  constructor(private readonly o: NodeClusterOptions) {
    this.home = mkdtempSync(join(tmpdir(), 'k8ts-bench-nodes-'));
    const file = join(this.home, 'cluster.yaml');
    writeFileSync(file, o.yaml);
    const env = { ...(o.env ?? process.env), K8TS_HOME: this.home, K8TS_NO_MERGE: '1' };
    this.env = env;
    this.cfg = loadClusterConfig(file, { force: true });
    this.paths = statePaths(this.cfg.name, this.cfg.dataDir, env);
    this.sup = new Supervisor(this.cfg, { clock: systemClock, env, log: o.log ?? (() => {}),
      nodesTimeoutMs: o.nodesTimeoutMs ?? 120_000 });
  }

  /** start runs `k8ts up` and returns how long it took (ms). */
  async start(): Promise<number> {
    if (this.cfg.hollow !== undefined) this.issueHollowIdentity();
    const t0 = performance.now();
    await this.sup.up();
    const took = performance.now() - t0;
    this.client = new ApiClient({
      endpoints: this.cfg.members.flatMap((m) => (m.grpc !== undefined ? [m.grpc] : [])),
      tls: this.adminTls(),
      timeoutMs: 60_000,
    });
    return took;
  }

  /**
   * issueHollowIdentity makes node-hollow.crt (CN=system:node:hollow), the client certificate
   * the hollow shards share, unless `up` makes it already (the same CA, made here first).
   */
  private issueHollowIdentity(): void {
    const dir = join(this.paths.root, PKI_DIR_NAME);
    if (existsSync(join(dir, 'node-hollow.crt'))) return;
    const host = (a: string): string => a.slice(0, a.lastIndexOf(':'));
    const masters = this.cfg.members.filter((m) => m.api !== undefined);
    ensureClusterPki(dir, {
      masters: masters.map((m) => ({ name: m.name, ips: [host(m.api ?? '')] })),
      nodes: [...new Set([...masters.map((m) => m.name), ...this.cfg.nodes.map((n) => n.name),
        'hollow'])],
      kubelets: this.cfg.nodes.map((n) => ({ name: n.name, ips: [n.address] })),
      serviceIp: firstServiceIp(this.cfg.serviceCidr),
    });
  }

  private adminTls() {
    const dir = join(this.paths.root, PKI_DIR_NAME);
    return { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'admin.crt'),
      keyFile: join(dir, 'admin.key') };
  }

  /**
   * pullImage pulls image on each named node through its runtime's CRI socket, as `crictl pull`
   * does: Kubernetes' pod startup SLO counts from creation to Running excluding image pulls, and
   * its density tests pull their images onto the nodes before they measure.
   */
  async pullImage(nodes: readonly string[], image: string): Promise<void> {
    await Promise.all(nodes.map(async (node) => {
      const cri = connectCri(nodePaths(this.cfg, node, this.env).criSocket);
      try {
        const spec = { image, annotations: {}, userSpecifiedImage: image, runtimeHandler: '',
          imageRef: '' };
        await cri.pullImage({ image: spec, auth: undefined, sandboxConfig: undefined });
      } finally {
        cri.close();
      }
    }));
  }

  get api(): ApiClient {
    if (this.client === undefined) throw new Error('NodeCluster: not started');
    return this.client;
  }

  /** units: the cluster's processes by unit ("m1-apiserver", "hollow0-hollow"...) from the
   *  pid files, each with its descendants except those that are units of their own (a static
   *  pod is a child of its node's runtime but counts as itself; containers count as their
   *  runtime's, detached conmons too). */
  units(): Map<string, number[]> {
    const roots = new Map<number, string>();
    if (existsSync(this.paths.pids)) {
      for (const f of readdirSync(this.paths.pids)) {
        const pid = Number(readFileSafe(join(this.paths.pids, f)).trim());
        if (Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`)) {
          roots.set(pid, f.replace(/\.pid$/, ''));
        }
      }
    }
    const { children, conmons } = processTable();
    const out = new Map<string, number[]>();
    for (const [root, unit] of roots) {
      const pids: number[] = [];
      const stack = [root];
      while (stack.length > 0) {
        const pid = stack.pop() ?? 0;
        pids.push(pid);
        stack.push(...(children.get(pid) ?? []).filter((c) => !roots.has(c)));
      }
      out.set(unit, pids);
    }
    this.addDetachedConmons(out, children, conmons);
    return out;
  }

  /**
   * addDetachedConmons: a runc node's conmons double-fork away from its runtime (they are
   * nobody's child in this tree), yet each one and the `runc run` it reaped are that runtime's
   * work for a pod: count them in "<node>-runtime", found by the node's directory in their argv.
   */
  private addDetachedConmons(
    out: Map<string, number[]>, children: Map<number, number[]>, conmons: readonly number[],
  ): void {
    const nodesDir = `${join(this.paths.root, 'nodes')}/`;
    const seen = new Set([...out.values()].flat());
    for (const pid of conmons) {
      if (seen.has(pid)) continue;
      const argv = readFileSafe(`/proc/${pid}/cmdline`);
      const at = argv.indexOf(nodesDir);
      if (at < 0) continue;
      const node = argv.slice(at + nodesDir.length).split('/')[0] ?? '';
      const unit = out.get(`${node}-runtime`);
      if (unit === undefined) continue;
      const stack = [pid];
      while (stack.length > 0) {
        const p = stack.pop() ?? 0;
        unit.push(p);
        stack.push(...(children.get(p) ?? []));
      }
    }
  }

  /** rssByUnit: the resident set of each unit (with its descendants) now, in bytes. */
  rssByUnit(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [unit, pids] of this.units()) {
      out.set(unit, pids.reduce((sum, pid) => sum + rssOf(pid), 0));
    }
    return out;
  }

  /** keepLogs copies the cluster's component logs to dir (for a run that went wrong): the
   *  supervisor's logs, and the CRI logs of the nodes' pods (the masters' static control plane
   *  logs there), nothing else of the nodes' state. */
  keepLogs(dir: string): void {
    if (existsSync(this.paths.logs)) cpSync(this.paths.logs, dir, { recursive: true });
    const nodes = join(this.paths.root, 'nodes');
    if (!existsSync(nodes)) return;
    cpSync(nodes, join(dir, 'nodes'), { recursive: true, filter: (src) => {
      const st = lstatSync(src);
      return st.isDirectory() || (st.isFile() && /\.log(\.\d+)?$/.test(src));
    } });
  }

  /** stop runs `k8ts down --purge`; processes of this cluster that survive it (a down that
   *  timed out against a wedged API) are SIGKILLed, found by their --config under our home. */
  async stop(): Promise<void> {
    this.client?.close();
    await this.sup.down(true).catch(() => 0);
    for (const pid of processesMentioning(this.home)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** cpuMsOf: CPU time (user + system, with reaped children's: the runc and ip calls of a
 *  runtime) each unit whose name matches has used so far, in ms. */
export function cpuMsOf(units: Map<string, number[]>, match: RegExp): Map<string, number> {
  const out = new Map<string, number>();
  for (const [unit, pids] of units) {
    if (!match.test(unit)) continue;
    out.set(unit, pids.reduce((sum, pid) => sum + cpuTicksOf(pid), 0) * 1000 / CLOCK_TICKS);
  }
  return out;
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks per second. */
const CLOCK_TICKS = 100;

/** cpuTicksOf: utime + stime + cutime + cstime of pid (0 when it is gone). */
function cpuTicksOf(pid: number): number {
  const stat = readFileSafe(`/proc/${pid}/stat`);
  // Fields 14–17 (1-based) follow the parenthesised command name, which may contain spaces.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + (Number(f[i]) || 0), 0);
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** processesMentioning: pids whose command line contains text (not this process). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .filter((d) => readFileSafe(`/proc/${d}/cmdline`).includes(text)).map(Number);
}

/** processTree: pid and its descendants now (their CPU, with cpuMsOf, is the tree's). */
export function processTree(root: number): number[] {
  const { children } = processTable();
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() ?? 0;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** processTable: every process's children, and the conmon processes, from one pass over /proc. */
function processTable(): { children: Map<number, number[]>; conmons: number[] } {
  const children = new Map<number, number[]>();
  const conmons: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = readFileSafe(`/proc/${d}/stat`);
    // Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
    const close = stat.lastIndexOf(')');
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(d));
    children.set(ppid, list);
    if (stat.slice(stat.indexOf('(') + 1, close) === 'conmon') conmons.push(Number(d));
  }
  return { children, conmons };
}

/** ensureNamespace creates a namespace; one that exists already is fine. */
export async function ensureNamespace(api: ApiClient, name: string): Promise<void> {
  await api.create({ group: '', version: 'v1', resource: 'namespaces' }, undefined,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch(() => undefined);
}

/** rssOf: VmRSS of pid in bytes (0 when it is gone). */
export function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSafe(`/proc/${pid}/status`));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** loadNote: the 1-minute load average and core count, for the output's header. */
export function loadNote(): string {
  const [one = '?'] = readFileSafe('/proc/loadavg').split(' ');
  const cores = readFileSafe('/proc/cpuinfo').split('\n')
    .filter((l) => l.startsWith('processor')).length;
  return `load average ${one} on ${cores} cores`;
}

/** UPSTREAM_LEASE_TIMING: kube-scheduler's and kube-controller-manager's Lease defaults (15 s
 *  lease, 10 s renew deadline, 2 s retry) as a cluster-config line. */
export const UPSTREAM_LEASE_TIMING =
  'controlPlane: { leaseDurationMs: 15000, renewDeadlineMs: 10000, retryPeriodMs: 2000 }';

/**
 * startupClusterYaml: the nodes bench's startup cluster — 3 masters (process runtime) on
 * 127.0.<net>.x and 2 workers on 127.0.<net+1>.x running `runtime`. Any net but 7 (the config's
 * defaults) also moves the Services and the process workers' pods to ranges of their own, so
 * two such clusters can run on one machine. `upstream` lease timing instead of k8ts' 100 ms one.
 */
export function startupClusterYaml(
  o: { name: string; runtime: string; net: number; upstreamLeases: boolean },
): string {
  const { net, runtime } = o;
  const p = 37480;
  const moved = net !== 7;
  const podCidr = (k: number): string =>
    (moved && runtime === 'process' ? `, podCidr: 127.${net + 100}.${k}.0/24` : '');
  return [
    `name: ${o.name}`,
    'members:',
    ...[1, 2, 3].map((i) => `  - { id: ${i}, name: m${i}, address: 127.0.${net}.${i}:${p}, ` +
      `client: 127.0.${net}.${i}:${p + 1}, api: 127.0.${net}.${i}:${p + 2}, ` +
      `grpc: 127.0.${net}.${i}:${p + 3} }`),
    'timing: { tickMs: 10, electionTicks: 15, heartbeatTicks: 3 }',
    'kubelet: { port: 10250, runtime: process }',
    ...(moved ? [`serviceCidr: 127.${net + 101}.0.0/16`] : []),
    ...(o.upstreamLeases ? [UPSTREAM_LEASE_TIMING] : []),
    'workers:',
    `  - { name: w1, address: 127.0.${net + 1}.1, runtime: ${runtime}${podCidr(1)} }`,
    `  - { name: w2, address: 127.0.${net + 1}.2, runtime: ${runtime}${podCidr(2)} }`,
    '',
  ].join('\n');
}
