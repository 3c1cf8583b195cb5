/**
 * Supervisor runs a cluster as local processes (ProcessTable: detached, with logs and pid files
 * under the cluster's state dir): each master's store member, API server, controller manager and
 * scheduler, and each node's container runtime and kubelet (masters are nodes too). It writes the
 * effective config to <state>/cluster.yaml, which every process reads and later commands
 * (status, kill, restart, down) find by cluster name alone. Restarting a member is starting it
 * again on its data dir: it recovers from its WAL and catches up from the leader.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { setPriority } from 'node:os';
import { stringify } from 'yaml';
import type { Clock } from '../base/clock.js';
import type { MemberStatus } from '../gen/k8ts/raft/v1/member.js';
import { apiServerArgs, loadClusterConfig, statePaths, type ClusterConfig, type MemberSpec, type StatePaths } from './config.js';
import { prepareLaunch } from './build/bundle-cache.js';
import { REPO_ROOT } from './build/entry-points.js';
import { MemberClients, sleep } from './member-client.js';
import { forgetApiAccess, leaseHolder, loadApiAccess, prepareApiAccess, probeReady, type ApiAccess } from './api-access.js';
import type { NodeSpec } from './node-config.js';
import { NodesReady, nodeRows, type NodeRow } from './node-status.js';
import { crashNodePods, stopAllSandboxes } from './node-crash.js';
import { bridgeName, nodePaths } from './node-paths.js';
import { removeFifoDirs, tmpfsCandidates } from '../runtime/process/fifo-dir.js';
import { COMPONENTS, ProcessTable, SupervisorError, unitLabel, type Component } from './processes.js';
import { controlPlaneManifests, proxyManifest, runsProxy, staticComponentsOf } from './static-pods.js';

export type { Component } from './processes.js';
export type { NodeRow } from './node-status.js';

/** ELECTED: the components that run on every master with one elected leader. */
export const ELECTED: readonly Component[] = ['controller-manager', 'scheduler'];

/** NODE_COMPONENTS: what every node runs, in stop order (the kubelet before its runtime). */
export const NODE_COMPONENTS: readonly Component[] = ['kubelet', 'runtime'];

export { SupervisorError } from './processes.js';

export interface SupervisorOptions {
  clock: Clock;
  env?: NodeJS.ProcessEnv;
  /** Progress lines for the user. */
  log?(line: string): void;
  /** How long up() waits for a leader. */
  leaderTimeoutMs?: number;
  /** How long up() waits for every node to be Ready. */
  nodesTimeoutMs?: number;
}

export interface MemberRow {
  spec: MemberSpec;
  pid: number | undefined;
  status: MemberStatus | undefined;
  /** The master's API server: ready (/readyz answered), down, or undefined when it has none. */
  api: 'ready' | 'down' | undefined;
  /** The master's controller manager and scheduler: leading, standing by, down; undefined when
   *  the master runs none. */
  elected: Partial<Record<Component, ElectedState>>;
}

/** ElectedState: what `k8ts status` says of an elected component on one master. */
export type ElectedState = 'leader' | 'standby' | 'down';

/** LEASE_NAMES: the kube-system Lease each elected component campaigns for (upstream's names). */
export const LEASE_NAMES: Partial<Record<Component, string>> = {
  'controller-manager': 'kube-controller-manager',
  scheduler: 'kube-scheduler',
};

export class Supervisor {
  readonly paths: StatePaths;
  private readonly env: NodeJS.ProcessEnv;
  private readonly procs: ProcessTable;
  private launchReady = false;

  constructor(
    readonly cfg: ClusterConfig,
    private readonly opts: SupervisorOptions,
  ) {
    this.env = opts.env ?? process.env;
    this.paths = statePaths(cfg.name, cfg.dataDir, this.env);
    this.procs = new ProcessTable(this.paths, opts.clock, this.env);
  }

  /** open finds a running (or stopped) cluster's effective config by name. */
  static open(name: string, opts: SupervisorOptions): Supervisor {
    const paths = statePaths(name, 'data', opts.env ?? process.env);
    if (!existsSync(paths.config)) {
      throw new SupervisorError(`no cluster named ${name} under ${dirname(paths.root)} (start one with: k8ts up)`);
    }
    return new Supervisor(loadClusterConfig(paths.config, { force: true }), opts);
  }

  /** up starts every process that is not running and waits until the cluster is usable: the
   *  store has a leader, every API server is ready, every node is Ready. With kubelets in the
   *  config, each master's control plane runs as static pods of its kubelet (static-pods.ts);
   *  without, the supervisor runs the control-plane processes itself. */
  async up(): Promise<MemberStatus> {
    for (const d of [this.paths.root, this.paths.logs, this.paths.pids, this.paths.data]) mkdirSync(d, { recursive: true });
    const running = this.cfg.members.filter((m) => this.pidOf(m) !== undefined);
    await this.checkAddressesFree();
    await this.prepareLaunch();
    if (running.length === 0) writeFileSync(this.paths.config, effectiveConfig(this.cfg));
    const leader = this.cfg.nodes.length > 0 ? await this.upWithKubelets() : await this.upProcesses();
    this.upHollow();
    return leader;
  }

  /** upProcesses: the control plane as plain processes (a config without kubelets). */
  private async upProcesses(): Promise<MemberStatus> {
    for (const m of this.cfg.members) this.ensure(m.name, 'store');
    const leader = await this.waitForLeader(this.opts.leaderTimeoutMs ?? 30_000);
    await this.upApiServers();
    return leader;
  }

  /** upHollow starts the hollow node processes (they register and heartbeat on their own;
   *  up does not wait for a thousand simulated nodes — the nodes benchmark measures that). */
  private upHollow(): void {
    const h = this.cfg.hollow;
    if (h === undefined) return;
    for (let i = 0; i < h.processes; i++) this.ensure(hollowUnit(i), 'hollow');
    this.say(`${h.nodes} hollow node(s) starting in ${h.processes} process(es)`);
  }

  /** upWithKubelets: PKI and manifests first, then every node's runtime and kubelet; the
   *  masters' kubelets start the control plane. Members that are not nodes (no API server)
   *  run as plain processes. */
  private async upWithKubelets(): Promise<MemberStatus> {
    const masters = this.cfg.members.filter((m) => m.api !== undefined);
    const access = masters.length === 0 ? undefined : prepareApiAccess(this.cfg, this.paths, this.env);
    for (const m of this.cfg.members) if (!this.isKubeletManaged(m.name)) this.ensure(m.name, 'store');
    for (const n of this.cfg.nodes) this.writeManifests(n.name);
    for (const n of this.cfg.nodes) for (const c of [...NODE_COMPONENTS].reverse()) this.ensure(n.name, c);
    const leader = await this.waitForLeader(this.opts.leaderTimeoutMs ?? 60_000);
    if (access === undefined) return leader;
    await this.waitForApis(masters, access, { timeoutMs: 60_000, announce: true,
      nodes: new NodesReady(this.cfg, access, { clock: this.opts.clock, say: (l) => this.say(l) }) });
    return leader;
  }

  /** isKubeletManaged: the node's kubelet runs its control plane (a master that is a node). */
  private isKubeletManaged(name: string): boolean {
    return this.cfg.nodes.some((n) => n.name === name && n.role === 'control-plane');
  }

  /** writeManifests puts a node's static pods into its kubelet's manifest dir: kube-proxy on a
   *  process-runtime node and, on a master, its control plane (rewritten at every up: a changed
   *  config or repo path takes effect). */
  private writeManifests(node: string): void {
    const dir = nodePaths(this.cfg, node, this.env).manifestDir;
    mkdirSync(dir, { recursive: true });
    const n = this.cfg.nodes.find((x) => x.name === node);
    const m = this.cfg.members.find((x) => x.name === node);
    const files = [
      ...(m !== undefined && this.isKubeletManaged(node)
        ? controlPlaneManifests(this.cfg, m, this.env, this.procs.launch) : []),
      ...(n !== undefined && runsProxy(n)
        ? [proxyManifest(this.cfg, n, this.env, this.procs.launch)] : []),
    ];
    for (const f of files) writeFileSync(join(dir, f.file), stringify(f.pod));
  }

  /** checkAddressesFree: a process whose address another process holds would die at once, and
   *  the other process (say, a cluster started from another K8TS_HOME) would answer in its
   *  place: refuse up front. */
  private async checkAddressesFree(): Promise<void> {
    for (const m of this.cfg.members) {
      if (this.pidOf(m) !== undefined) continue;
      for (const address of [m.address, m.client, m.api, m.grpc]) {
        if (address !== undefined && !(await addressFree(address))) {
          throw new SupervisorError(`${m.name}: ${address} is already in use by another process ` +
            '(another k8ts cluster? stop it with k8ts down, or change the addresses in the config)');
        }
      }
    }
    for (const n of this.cfg.nodes) {
      const address = `${n.address}:${n.kubeletPort}`;
      if (this.procs.pidOf(n.name, 'kubelet') === undefined && !(await addressFree(address))) {
        throw new SupervisorError(`${n.name}: kubelet address ${address} is already in use by another process`);
      }
    }
  }

  /** upApiServers prepares PKI and kubeconfig, starts each master's API server, waits for all,
   *  then starts the elected components. Undefined when the cluster has no API server. */
  private async upApiServers(): Promise<ApiAccess | undefined> {
    const masters = this.cfg.members.filter((m) => m.api !== undefined);
    if (masters.length === 0) return undefined;
    const access = prepareApiAccess(this.cfg, this.paths, this.env);
    for (const m of masters) this.ensure(m.name, 'apiserver');
    await this.waitForApis(masters, access, { timeoutMs: 30_000, announce: true });
    for (const m of masters.filter((x) => x.grpc !== undefined)) {
      for (const c of ELECTED) this.ensure(m.name, c);
    }
    return access;
  }

  /** deadNode: a node component that exited (its log's tail), for startup errors. */
  private deadNode(): string | undefined {
    for (const n of this.cfg.nodes) {
      for (const c of NODE_COMPONENTS) {
        if (this.procs.hasPidFile(n.name, c) && this.procs.pidOf(n.name, c) === undefined) {
          return `${unitLabel(n.name, c)} exited; last lines of ${this.procs.logFile(n.name, c)}:\n${this.procs.tail(n.name, c)}`;
        }
      }
    }
    return undefined;
  }

  /** prepareLaunch bundles the components (or finds the bundle of this source tree in the cache)
   *  once, before the first spawn; tsx when that fails (build/bundle-cache.ts). */
  private async prepareLaunch(): Promise<void> {
    if (this.launchReady) return;
    this.procs.launch = await prepareLaunch({
      repoRoot: REPO_ROOT, clock: this.opts.clock, env: this.env, log: (l) => this.say(l),
      linkAt: join(this.paths.root, 'bundle'),
    });
    this.launchReady = true;
  }

  /** ensure starts a node's component unless it already runs. */
  private ensure(node: string, c: Component): void {
    const pid = this.procs.pidOf(node, c);
    if (pid !== undefined) this.say(`${unitLabel(node, c)} already running (pid ${pid})`);
    else this.start(node, c);
  }

  /** start spawns one component of a node, detached, on the effective config. */
  start(node: string, c: Component): number {
    const target = c === 'hollow' ? ['--shard', node.slice(HOLLOW_UNIT.length)]
      : [NODE_COMPONENTS.includes(c) ? '--node' : '--member', node,
        ...(c === 'apiserver' ? apiServerArgs(this.cfg) : [])];
    const pid = this.procs.spawn(node, c, ['--config', this.paths.config, ...target]);
    if (c === 'hollow') lowerPriority(pid, this.cfg.hollow?.nice ?? 0, (why) => this.say(why));
    this.say(`started ${unitLabel(node, c)} (${this.where(node, c)}) pid ${pid}, log ${this.procs.logFile(node, c)}`);
    return pid;
  }

  private where(node: string, c: Component): string {
    const m = this.cfg.members.find((x) => x.name === node);
    const n = this.cfg.nodes.find((x) => x.name === node);
    switch (c) {
      case 'store': return `id ${m?.id ?? '?'}, peers ${m?.address ?? ''}, etcd clients ${m?.client ?? m?.address ?? ''}`;
      case 'apiserver': return `https://${m?.api ?? ''}`;
      case 'kubelet': return `https://${n?.address ?? ''}:${n?.kubeletPort ?? ''}`;
      case 'runtime': return `${n?.runtime ?? ''} runtime, pods ${n?.podCidr ?? ''}`;
      case 'hollow': return 'hollow nodes';
      default: return `component API ${m?.grpc ?? ''}`;
    }
  }

  /**
   * waitForApis polls every master's /readyz together until all answer ok (then, to announce,
   * says the kubeconfig), failing when one's process dies or timeoutMs passes. With nodes, it also polls
   * the Node objects from the first API server that answers — kubelets register as soon as one
   * does — until every node is Ready (nodesTimeoutMs from the first poll). One loop, 100 ms apart:
   * waiting for each stage in turn cost a poll period per stage and per master.
   */
  async waitForApis(masters: readonly MemberSpec[], access: ApiAccess,
    o: { timeoutMs: number; announce?: boolean; nodes?: NodesReady }): Promise<void> {
    const { timeoutMs, nodes } = o;
    const startMs = this.opts.clock.nowMs();
    const pending = new Set(masters);
    for (;;) {
      const answers = await Promise.all([...pending].map(async (m) =>
        ({ m, ok: await probeReady(m.api ?? '', access) })));
      for (const { m } of answers.filter((a) => a.ok)) {
        pending.delete(m);
        this.say(`${m.name}/apiserver ready at https://${m.api ?? ''}`);
        if (pending.size === 0 && o.announce === true) this.say(`kubeconfig: ${access.kubeconfig}`);
      }
      if (nodes !== undefined && pending.size < masters.length && !nodes.done) await nodes.poll();
      if (pending.size === 0 && (nodes === undefined || nodes.done)) return;
      for (const m of pending) this.checkApiAlive(m);
      if (pending.size > 0 && this.opts.clock.nowMs() - startMs > timeoutMs) {
        const m = [...pending][0]!;
        throw new SupervisorError(`${m.name}/apiserver not ready within ${timeoutMs} ms; see ${this.logFile(m, 'apiserver')}`);
      }
      const nodesTimeoutMs = this.opts.nodesTimeoutMs ?? 60_000;
      if (nodes !== undefined && !nodes.done) this.checkNodesAlive(nodes, nodesTimeoutMs);
      await sleep(this.opts.clock, 100);
    }
  }

  /** checkApiAlive throws when a master's API server (or, kubelet-managed, a node process)
   *  died during startup. */
  private checkApiAlive(m: MemberSpec): void {
    const dead = this.isKubeletManaged(m.name) ? this.deadNode() : undefined;
    if (dead !== undefined) throw new SupervisorError(dead);
    if (!this.isKubeletManaged(m.name) && this.pidOf(m, 'apiserver') === undefined) {
      throw new SupervisorError(`${m.name}/apiserver exited during startup; last lines of ${this.logFile(m, 'apiserver')}:\n${this.procs.tail(m.name, 'apiserver')}`);
    }
  }

  /** checkNodesAlive throws when a node process died or the nodes are not Ready in time. */
  private checkNodesAlive(nodes: NodesReady, timeoutMs: number): void {
    const dead = this.deadNode();
    if (dead !== undefined) throw new SupervisorError(dead);
    if (nodes.sinceMs() > timeoutMs) throw nodes.notReadyError(timeoutMs);
  }

  /** startMember spawns one store member detached from this process. */
  startMember(m: MemberSpec): number {
    return this.start(m.name, 'store');
  }

  /** startApiServer spawns a master's API server detached, like a member. */
  startApiServer(m: MemberSpec): number {
    return this.start(m.name, 'apiserver');
  }

  /** startElected spawns a master's controller manager or scheduler; they campaign for their
   *  Lease in kube-system, so starting one on every master is safe. */
  startElected(m: MemberSpec, c: Component): number {
    return this.start(m.name, c);
  }

  /** waitForLeader polls Status until some member reports itself leader. */
  async waitForLeader(timeoutMs: number): Promise<MemberStatus> {
    const clients = new MemberClients(this.cfg);
    const startMs = this.opts.clock.nowMs();
    this.say('waiting for a leader ...');
    try {
      for (;;) {
        const leader = (await clients.statuses(500)).find((s) => s?.role === 'leader');
        const tookMs = this.opts.clock.nowMs() - startMs;
        if (leader) {
          this.say(`leader elected: ${leader.name} (id ${leader.id}) term ${leader.term} after ${(tookMs / 1000).toFixed(1)} s`);
          return leader;
        }
        const deadNode = this.deadNode();
        if (deadNode !== undefined) throw new SupervisorError(deadNode);
        const dead = this.cfg.members.filter((m) => !this.isKubeletManaged(m.name) &&
          this.procs.hasPidFile(m.name, 'store') && this.pidOf(m) === undefined);
        if (dead.length > 0) {
          const m = dead[0]!;
          throw new SupervisorError(`${m.name} exited during startup; last lines of ${this.logFile(m)}:\n${this.procs.tail(m.name, 'store')}`);
        }
        if (tookMs > timeoutMs) throw new SupervisorError(`no leader elected within ${timeoutMs} ms; see logs in ${this.paths.logs}`);
        await sleep(this.opts.clock, 100);
      }
    } finally {
      clients.close();
    }
  }

  /** rows: every member with its pid and Status (undefined when it does not answer). */
  async rows(): Promise<MemberRow[]> {
    const clients = new MemberClients(this.cfg);
    try {
      const statuses = await clients.statuses(1_000);
      const access = loadApiAccess(this.paths);
      const apis = await Promise.all(this.cfg.members.map(async (m) => {
        if (m.api === undefined) return undefined;
        return access && (await probeReady(m.api, access)) ? 'ready' as const : 'down' as const;
      }));
      const holders = await this.leaseHolders(access);
      return this.cfg.members.map((spec, i) => ({
        spec, pid: this.pidOf(spec), status: statuses[i], api: apis[i], elected: this.electedOf(spec, holders),
      }));
    } finally {
      clients.close();
    }
  }

  /** nodes: every node with its processes and what the API says of it (Ready, version, pods). */
  async nodes(): Promise<NodeRow[]> {
    const access = loadApiAccess(this.paths);
    return nodeRows(this.cfg, access, (n, c) => this.procs.pidOf(n, c));
  }

  /** leaseHolders asks any ready API server who holds each elected component's Lease. */
  private async leaseHolders(access: ApiAccess | undefined): Promise<Map<Component, string>> {
    const holders = new Map<Component, string>();
    if (access === undefined) return holders;
    for (const c of ELECTED) {
      for (const m of this.cfg.members) {
        if (m.api === undefined) continue;
        const h = await leaseHolder(m.api, access, LEASE_NAMES[c] ?? '');
        if (h !== undefined) {
          holders.set(c, h);
          break;
        }
      }
    }
    return holders;
  }

  private electedOf(m: MemberSpec, holders: Map<Component, string>): MemberRow['elected'] {
    const out: MemberRow['elected'] = {};
    if (!this.componentsOf(m.name).includes('scheduler')) return out;
    for (const c of ELECTED) {
      if (this.pidOf(m, c) === undefined) out[c] = 'down';
      else out[c] = holders.get(c)?.startsWith(`${m.name}_`) === true ? 'leader' : 'standby';
    }
    return out;
  }

  /** kill sends SIGKILL to every component of a node ("m1", "w1") or to one ("m1/apiserver",
   *  "w1/kubelet"): a crash, for experiments. Returns the pids killed. */
  kill(target: string): number[] {
    const { node, components } = this.target(target);
    const pids: number[] = [];
    for (const c of components) {
      const pid = this.procs.kill(node, c);
      if (pid === undefined) continue;
      this.say(`killed ${unitLabel(node, c)} (pid ${pid})`);
      pids.push(pid);
    }
    if (!target.includes('/') && this.cfg.nodes.some((n) => n.name === node && n.runtime === 'process')) {
      const hit = crashNodePods(nodePaths(this.cfg, node, this.env).runtimeDir);
      if (hit.length > 0) this.say(`killed ${hit.length} container process group(s) of ${node}`);
      pids.push(...hit);
    }
    if (pids.length === 0) throw new SupervisorError(`${target} is not running`);
    return pids;
  }

  /** target resolves "m1" / "w1" (every component of the node) or "m1/store", "w1/kubelet". */
  private target(t: string): { node: string; components: Component[] } {
    const [name = '', comp] = t.split('/');
    const all = this.componentsOf(name);
    if (all.length === 0) {
      const names = [...new Set([...this.cfg.members.map((x) => x.name), ...this.cfg.nodes.map((x) => x.name)])];
      throw new SupervisorError(`no node ${name} in cluster ${this.cfg.name} (nodes: ${names.join(', ')})`);
    }
    if (comp === undefined) return { node: name, components: all };
    if (!(COMPONENTS as string[]).includes(comp)) {
      throw new SupervisorError(`unknown component ${comp} (components: ${COMPONENTS.join(', ')})`);
    }
    if (!all.includes(comp as Component)) throw new SupervisorError(`${name} runs no ${comp}`);
    return { node: name, components: [comp as Component] };
  }

  /** componentsOf: a node's processes in stop order — kubelet and runtime first, then the
   *  elected components, the API server, and the store last. */
  private componentsOf(name: string): Component[] {
    const out: Component[] = [];
    const n = this.cfg.nodes.find((x) => x.name === name);
    if (n !== undefined) out.push(...(runsProxy(n) ? ['proxy' as const] : []), ...NODE_COMPONENTS);
    const m = this.cfg.members.find((x) => x.name === name);
    if (m === undefined) return out;
    if (m.grpc !== undefined) out.push(...ELECTED);
    if (m.api !== undefined) out.push('apiserver');
    out.push('store');
    return out;
  }

  /** restart stops a node's components (or one) if they run, starts them again (the store on
   *  its data dir) and waits until they answer. Returns the store member's Status. A component a
   *  kubelet runs as a static pod is only stopped: its kubelet starts it again. */
  async restart(target: string, timeoutMs = 15_000): Promise<MemberStatus | undefined> {
    const { node, components } = this.target(target);
    const managed = this.isKubeletManaged(node);
    const before = new Map(components.map((c) => [c, this.procs.pidOf(node, c)]));
    await this.prepareLaunch();
    for (const c of components) await this.stopUnit(node, c, 5_000);
    for (const c of [...NODE_COMPONENTS].reverse()) if (components.includes(c)) this.start(node, c);
    const m = this.cfg.members.find((x) => x.name === node);
    if (components.includes('proxy')) await this.waitForRestart(node, 'proxy', before.get('proxy'), timeoutMs + 20_000);
    if (m === undefined) return undefined;
    if (managed) {
      for (const c of components.filter((x) => staticComponentsOf(m).includes(x))) {
        await this.waitForRestart(node, c, before.get(c), timeoutMs + 20_000);
      }
    } else {
      if (components.includes('store')) this.startMember(m);
      if (components.includes('apiserver')) this.startApiServer(m);
      for (const c of ELECTED) if (components.includes(c)) this.start(node, c);
    }
    const status = components.includes('store') ? await this.waitForMember(m, timeoutMs) : undefined;
    if (components.includes('apiserver')) {
      // Restarting needs the admin credentials, not a fresh PKI or another kubeconfig merge.
      const access = loadApiAccess(this.paths) ?? prepareApiAccess(this.cfg, this.paths, this.env);
      await this.waitForApis([m], access, { timeoutMs });
    }
    return status;
  }

  /** waitForRestart waits until a kubelet has started a static component again (a new pid). */
  private async waitForRestart(node: string, c: Component, oldPid: number | undefined, timeoutMs: number): Promise<void> {
    const startMs = this.opts.clock.nowMs();
    for (;;) {
      const pid = this.procs.pidOf(node, c);
      if (pid !== undefined && pid !== oldPid) {
        this.say(`${unitLabel(node, c)} restarted by the kubelet (pid ${pid})`);
        return;
      }
      if (this.opts.clock.nowMs() - startMs > timeoutMs) {
        throw new SupervisorError(`${unitLabel(node, c)} was not restarted by ${node}'s kubelet within ${timeoutMs} ms; see k8ts logs ${node}/kubelet`);
      }
      await sleep(this.opts.clock, 100);
    }
  }

  private async waitForMember(m: MemberSpec, timeoutMs: number): Promise<MemberStatus> {
    const clients = new MemberClients(this.cfg);
    const startMs = this.opts.clock.nowMs();
    try {
      for (;;) {
        const s = await clients.status(m, 500);
        if (s) return s;
        if (this.pidOf(m) === undefined) throw new SupervisorError(`${m.name} exited; last lines of ${this.logFile(m)}:\n${this.procs.tail(m.name, 'store')}`);
        if (this.opts.clock.nowMs() - startMs > timeoutMs) throw new SupervisorError(`${m.name} did not answer within ${timeoutMs} ms`);
        await sleep(this.opts.clock, 100);
      }
    } finally {
      clients.close();
    }
  }

  /** down stops everything (SIGTERM, then SIGKILL after a grace period): the kubelets first
   *  (so nothing is restarted), the pods of every node through its runtime, the control plane
   *  (leaders, API servers, stores last), then the runtimes. purge deletes the cluster's whole
   *  state dir (data, logs, config). Returns the members stopped. */
  async down(purge: boolean): Promise<number> {
    let stopped = 0;
    for (let i = 0; i < (this.cfg.hollow?.processes ?? 0); i++) await this.stopUnit(hollowUnit(i), 'hollow', 10_000);
    for (const n of this.cfg.nodes) await this.stopUnit(n.name, 'kubelet', 10_000);
    for (const n of this.cfg.nodes.filter((x) => x.role === 'worker')) await this.stopPods(n.name);
    for (const c of ELECTED) for (const m of this.cfg.members) await this.stopMember(m, 5_000, c);
    for (const m of this.cfg.members) await this.stopMember(m, 5_000, 'apiserver');
    for (const m of this.cfg.members) if (await this.stopMember(m)) stopped++;
    for (const n of this.cfg.nodes.filter((x) => x.role !== 'worker')) await this.stopPods(n.name);
    for (const n of this.cfg.nodes) await this.stopUnit(n.name, 'runtime', 10_000);
    for (const n of this.cfg.nodes.filter((x) => x.runtime !== 'process')) await removeBridge(bridgeName(this.cfg.name, n.name));
    if (existsSync(this.paths.pids)) for (const f of readdirSync(this.paths.pids)) rmSync(join(this.paths.pids, f), { force: true });
    if (purge) {
      if (this.cfg.members.some((m) => m.api !== undefined)) forgetApiAccess(this.cfg, this.env);
      rmSync(this.paths.root, { recursive: true, force: true });
      for (const n of this.cfg.nodes.filter((x) => x.runtime === 'process')) {
        removeFifoDirs(nodePaths(this.cfg, n.name, this.env).runtimeDir, tmpfsCandidates(this.env));
      }
      if (this.cfg.dataDir !== 'data') rmSync(this.paths.data, { recursive: true, force: true });
    }
    return stopped;
  }

  /** stopPods stops and removes every pod sandbox of a node through its runtime's CRI socket
   *  (as `crictl rmp -f` would), if the runtime runs. */
  private async stopPods(node: string): Promise<void> {
    if (this.procs.pidOf(node, 'runtime') === undefined) return;
    const n = await stopAllSandboxes(nodePaths(this.cfg, node, this.env).criSocket);
    if (n > 0) this.say(`stopped ${n} pod(s) of ${node}`);
  }

  /** stopMember: SIGTERM, wait up to graceMs, then SIGKILL. True if it was running. */
  async stopMember(m: MemberSpec, graceMs = 5_000, c: Component = 'store'): Promise<boolean> {
    return this.stopUnit(m.name, c, graceMs);
  }

  private async stopUnit(node: string, c: Component, graceMs: number): Promise<boolean> {
    const pid = await this.procs.stop(node, c, graceMs);
    if (pid !== undefined) this.say(`stopped ${unitLabel(node, c)} (pid ${pid})`);
    return pid !== undefined;
  }

  member(name: string): MemberSpec {
    const m = this.cfg.members.find((x) => x.name === name);
    if (!m) throw new SupervisorError(`no member ${name} in cluster ${this.cfg.name} (members: ${this.cfg.members.map((x) => x.name).join(', ')})`);
    return m;
  }

  /** pidOf is the member's pid if its pid file names a live member process. */
  pidOf(m: MemberSpec, c: Component = 'store'): number | undefined {
    return this.procs.pidOf(m.name, c);
  }

  /** logFile: where a member's component writes its output. */
  logFile(m: MemberSpec, c: Component = 'store'): string {
    return this.procs.logFile(m.name, c);
  }

  /** logFileOf resolves "m1/apiserver", "w1/kubelet" or "m1" (the store) to its log file. */
  logFileOf(target: string): string {
    const { node, components } = this.target(target);
    const c = target.includes('/') ? components[0]! : components.includes('store') ? 'store' : 'kubelet';
    return this.procs.logFile(node, c);
  }

  private say(line: string): void {
    this.opts.log?.(line);
  }
}

/** effectiveConfig is the config as every process reads it: tls dir absolute, force kept, the
 *  nodes written out in full (each worker with its runtime and pod range). */
export function effectiveConfig(cfg: ClusterConfig): string {
  const doc: Record<string, unknown> = {
    name: cfg.name,
    members: cfg.members.map((m) => ({
      id: m.id,
      name: m.name,
      address: m.address,
      ...(m.client === undefined ? {} : { client: m.client }),
      ...(m.api === undefined ? {} : { api: m.api }),
      ...(m.grpc === undefined ? {} : { grpc: m.grpc }),
    })),
    dataDir: cfg.dataDir,
    timing: cfg.timing,
    forwarding: cfg.forwarding,
    store: cfg.store,
    serviceCidr: cfg.serviceCidr,
    controlPlane: cfg.controlPlane,
    ...apiServerDoc(cfg),
    force: cfg.force,
    ...nodesDoc(cfg.nodes),
    ...(cfg.hollow === undefined ? {} : { hollow: cfg.hollow }),
  };
  if (cfg.tlsDir !== undefined) doc.tls = { dir: cfg.tlsDir };
  return `# Effective config of cluster ${cfg.name}, written by k8ts up from ${cfg.source}.\n${stringify(doc)}`;
}

/** apiServerDoc: the apiServer block when the config set any of its fields (none set: no
 *  block, rather than an empty `apiServer: {}` in every effective config). */
function apiServerDoc(cfg: ClusterConfig): Record<string, unknown> {
  const set = Object.entries(cfg.apiServer).filter(([, v]) => v !== undefined);
  return set.length === 0 ? {} : { apiServer: Object.fromEntries(set) };
}

function nodesDoc(nodes: readonly NodeSpec[]): Record<string, unknown> {
  if (nodes.length === 0) return {};
  const first = nodes[0]!;
  const workers = nodes.filter((n) => n.role === 'worker');
  return {
    kubelet: { port: first.kubeletPort, runtime: nodes.find((n) => n.role === 'control-plane')?.runtime ?? first.runtime },
    ...(workers.length === 0 ? {} : {
      workers: workers.map((n) => ({ name: n.name, address: n.address, runtime: n.runtime, podCidr: n.podCidr })),
    }),
  };
}

/** removeBridge deletes a root-mode node's bridge at down (its pods are gone by then); a
 *  bridge that is not there, or no permission, is nothing to report. */
function removeBridge(bridge: string): Promise<void> {
  return new Promise((resolve) => {
    execFile('ip', ['link', 'del', 'dev', bridge], () => resolve());
  });
}

/** lowerPriority sets a process's nice value (raising it needs no privilege); a failure is said,
 *  not fatal: the process runs, only at the default priority. */
function lowerPriority(pid: number, nice: number, say: (line: string) => void): void {
  if (nice === 0) return;
  try {
    setPriority(pid, nice);
  } catch (e) {
    say(`cannot set nice ${nice} on pid ${pid}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** HOLLOW_UNIT: hollow shard i runs as unit "hollow<i>-hollow" (log hollow<i>-hollow.log). */
const HOLLOW_UNIT = 'hollow';

function hollowUnit(i: number): string {
  return `${HOLLOW_UNIT}${i}`;
}

/** addressFree tells whether host:port can be bound now (it is released again at once). */
function addressFree(address: string): Promise<boolean> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
