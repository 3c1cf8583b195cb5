/**
 * Supervisor runs a cluster as local processes: one detached `member-main.ts` per member, its
 * output in <state>/logs/<member>.log and its pid in <state>/pids/<member>.pid. It writes the
 * effective config to <state>/cluster.yaml, which the members read and later commands (status,
 * kill, restart, down) find by cluster name alone. Restarting a member is starting it again on
 * its data dir: it recovers from its WAL and catches up from the leader.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { stringify } from 'yaml';
import type { Clock } from '../base/clock.js';
import type { MemberStatus } from '../gen/k8ts/raft/v1/member.js';
import { loadClusterConfig, statePaths, type ClusterConfig, type MemberSpec, type StatePaths } from './config.js';
import { MemberClients, sleep } from './member-client.js';
import { forgetApiAccess, leaseHolder, loadApiAccess, prepareApiAccess, probeReady, type ApiAccess } from './api-access.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MEMBER_MAIN = fileURLToPath(new URL('./member-main.ts', import.meta.url));
const APISERVER_MAIN = fileURLToPath(new URL('../apiserver/main.ts', import.meta.url));
const CONTROLLER_MANAGER_MAIN = fileURLToPath(new URL('./controller-manager-main.ts', import.meta.url));
const SCHEDULER_MAIN = fileURLToPath(new URL('./scheduler-main.ts', import.meta.url));

/** Component is one process of a master: its store member, API server, controller manager or
 *  scheduler (the last two on masters with a component gRPC face; one of each leads). */
export type Component = 'store' | 'apiserver' | 'controller-manager' | 'scheduler';
/** What /proc/<pid>/cmdline of each component contains (a recycled pid is never signalled). */
const MARKERS: Record<Component, string> = {
  store: 'member-main',
  apiserver: 'apiserver/main',
  'controller-manager': 'controller-manager-main',
  scheduler: 'scheduler-main',
};
/** ELECTED: the components that run on every master with one elected leader. */
export const ELECTED: readonly Component[] = ['controller-manager', 'scheduler'];

/** SupervisorError: an operating failure the CLI reports (a member died, no leader in time). */
export class SupervisorError extends Error {
  override name = 'SupervisorError';
}

export interface SupervisorOptions {
  clock: Clock;
  env?: NodeJS.ProcessEnv;
  /** Progress lines for the user. */
  log?(line: string): void;
  /** How long up() waits for a leader. */
  leaderTimeoutMs?: number;
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

  constructor(
    readonly cfg: ClusterConfig,
    private readonly opts: SupervisorOptions,
  ) {
    this.env = opts.env ?? process.env;
    this.paths = statePaths(cfg.name, cfg.dataDir, this.env);
  }

  /** forCluster finds a running (or stopped) cluster's effective config by name. */
  static open(name: string, opts: SupervisorOptions): Supervisor {
    const paths = statePaths(name, 'data', opts.env ?? process.env);
    if (!existsSync(paths.config)) {
      throw new SupervisorError(`no cluster named ${name} under ${dirname(paths.root)} (start one with: k8ts up)`);
    }
    return new Supervisor(loadClusterConfig(paths.config, { force: true }), opts);
  }

  /** up starts every member that is not running and waits until a leader is elected. */
  async up(): Promise<MemberStatus> {
    for (const d of [this.paths.root, this.paths.logs, this.paths.pids, this.paths.data]) mkdirSync(d, { recursive: true });
    const running = this.cfg.members.filter((m) => this.pidOf(m) !== undefined);
    // A member whose address another process holds would die at once, and the other process
    // (say, a cluster started from another K8TS_HOME) would answer in its place: refuse up front.
    for (const m of this.cfg.members) {
      if (this.pidOf(m) !== undefined) continue;
      for (const address of [m.address, ...(m.client === undefined ? [] : [m.client]), ...(m.api === undefined ? [] : [m.api]), ...(m.grpc === undefined ? [] : [m.grpc])]) {
        if (!(await addressFree(address))) {
          throw new SupervisorError(`${m.name}: ${address} is already in use by another process ` +
            '(another k8ts cluster? stop it with k8ts down, or change the addresses in the config)');
        }
      }
    }
    if (running.length === 0) writeFileSync(this.paths.config, effectiveConfig(this.cfg));
    for (const m of this.cfg.members) {
      const pid = this.pidOf(m);
      if (pid !== undefined) this.say(`${m.name} already running (pid ${pid})`);
      else this.startMember(m);
    }
    const leader = await this.waitForLeader(this.opts.leaderTimeoutMs ?? 30_000);
    await this.upApiServers();
    return leader;
  }

  /** upApiServers prepares PKI and kubeconfig, starts each master's API server, waits for all. */
  private async upApiServers(): Promise<void> {
    const masters = this.cfg.members.filter((m) => m.api !== undefined);
    if (masters.length === 0) return;
    const access = prepareApiAccess(this.cfg, this.paths, this.env);
    for (const m of masters) {
      const pid = this.pidOf(m, 'apiserver');
      if (pid !== undefined) this.say(`${m.name}/apiserver already running (pid ${pid})`);
      else this.startApiServer(m);
    }
    for (const m of masters) await this.waitForApi(m, access, 30_000);
    this.say(`kubeconfig: ${access.kubeconfig}`);
    for (const m of masters.filter((x) => x.grpc !== undefined)) {
      for (const c of ELECTED) {
        const pid = this.pidOf(m, c);
        if (pid !== undefined) this.say(`${m.name}/${c} already running (pid ${pid})`);
        else this.startElected(m, c);
      }
    }
  }

  /** startElected spawns a master's controller manager or scheduler; they campaign for their
   *  Lease in kube-system, so starting one on every master is safe. */
  startElected(m: MemberSpec, c: Component): number {
    const main = c === 'scheduler' ? SCHEDULER_MAIN : CONTROLLER_MANAGER_MAIN;
    return this.spawnComponent(m, c, main, `component API ${m.grpc ?? ''}`);
  }

  /** startApiServer spawns a master's API server detached, like a member. */
  startApiServer(m: MemberSpec): number {
    return this.spawnComponent(m, 'apiserver', APISERVER_MAIN, `https://${m.api ?? ''}`);
  }

  /** waitForApi polls the API server's /readyz until it answers ok or the process dies. */
  async waitForApi(m: MemberSpec, access: ApiAccess, timeoutMs: number): Promise<void> {
    const startMs = this.opts.clock.nowMs();
    for (;;) {
      if (await probeReady(m.api ?? '', access)) {
        this.say(`${m.name}/apiserver ready at https://${m.api ?? ''}`);
        return;
      }
      if (this.pidOf(m, 'apiserver') === undefined) {
        throw new SupervisorError(`${m.name}/apiserver exited during startup; last lines of ${this.logFile(m, 'apiserver')}:\n${this.tail(m, 15, 'apiserver')}`);
      }
      if (this.opts.clock.nowMs() - startMs > timeoutMs) throw new SupervisorError(`${m.name}/apiserver not ready within ${timeoutMs} ms; see ${this.logFile(m, 'apiserver')}`);
      await sleep(this.opts.clock, 200);
    }
  }

  /** startMember spawns one member detached from this process, so it outlives the CLI. */
  startMember(m: MemberSpec): number {
    return this.spawnComponent(m, 'store', MEMBER_MAIN, `peers ${m.address}, etcd clients ${m.client ?? m.address}`);
  }

  private spawnComponent(m: MemberSpec, c: Component, main: string, where: string): number {
    const logFile = this.logFile(m, c);
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--config', this.paths.config, '--member', m.name], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: this.env,
    });
    closeSync(fd);
    child.unref();
    const pid = child.pid;
    const label = c === 'store' ? m.name : `${m.name}/${c}`;
    if (pid === undefined) throw new SupervisorError(`cannot start ${label}; see ${logFile}`);
    writeFileSync(this.pidFile(m, c), `${pid}\n`);
    this.say(`started ${label} (id ${m.id}, ${where}) pid ${pid}, log ${logFile}`);
    return pid;
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
        const dead = this.cfg.members.filter((m) => existsSync(this.pidFile(m)) && this.pidOf(m) === undefined);
        if (dead.length > 0) {
          const m = dead[0]!;
          throw new SupervisorError(`${m.name} exited during startup; last lines of ${this.logFile(m)}:\n${this.tail(m)}`);
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

  /** leaseHolders asks any ready API server who holds each elected component's Lease. */
  private async leaseHolders(access: ApiAccess | undefined): Promise<Map<Component, string>> {
    const holders = new Map<Component, string>();
    const api = this.cfg.members.find((m) => m.api !== undefined)?.api;
    if (access === undefined || api === undefined) return holders;
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
    if (!componentsOf(m).includes('scheduler')) return out;
    for (const c of ELECTED) {
      if (this.pidOf(m, c) === undefined) out[c] = 'down';
      else out[c] = holders.get(c)?.startsWith(`${m.name}_`) === true ? 'leader' : 'standby';
    }
    return out;
  }

  /** kill sends SIGKILL to a master (all its components) or to one component ("m1/apiserver"):
   *  a crash, for experiments. Returns the pids killed. */
  kill(target: string): number[] {
    const { m, components } = this.target(target);
    const pids: number[] = [];
    for (const c of components) {
      const pid = this.pidOf(m, c);
      if (pid === undefined) continue;
      process.kill(pid, 'SIGKILL');
      this.removePid(m, c);
      this.say(`killed ${c === 'store' ? m.name : `${m.name}/${c}`} (pid ${pid})`);
      pids.push(pid);
    }
    if (pids.length === 0) throw new SupervisorError(`${target} is not running`);
    return pids;
  }

  /** target resolves "m1" (every component of the master) or "m1/store" / "m1/apiserver". */
  private target(t: string): { m: MemberSpec; components: Component[] } {
    const [name = '', comp] = t.split('/');
    const m = this.member(name);
    const all = componentsOf(m);
    if (comp === undefined) return { m, components: all };
    if (!(comp in MARKERS)) {
      throw new SupervisorError(`unknown component ${comp} (components: ${Object.keys(MARKERS).join(', ')})`);
    }
    if (!all.includes(comp as Component)) throw new SupervisorError(`${name} runs no ${comp}`);
    return { m, components: [comp as Component] };
  }

  /** restart stops a master's components (or one) if they run, starts them again (the store on
   *  its data dir) and waits until they answer. Returns the store member's Status. */
  async restart(target: string, timeoutMs = 15_000): Promise<MemberStatus | undefined> {
    const { m, components } = this.target(target);
    for (const c of components) await this.stopMember(m, 5_000, c);
    let status: MemberStatus | undefined;
    if (components.includes('store')) {
      this.startMember(m);
      status = await this.waitForMember(m, timeoutMs);
    }
    if (components.includes('apiserver')) {
      // Restarting needs the admin credentials, not a fresh PKI or another kubeconfig merge.
      const access = loadApiAccess(this.paths) ?? prepareApiAccess(this.cfg, this.paths, this.env);
      this.startApiServer(m);
      await this.waitForApi(m, access, timeoutMs);
    }
    for (const c of ELECTED) if (components.includes(c)) this.startElected(m, c);
    return status;
  }

  private async waitForMember(m: MemberSpec, timeoutMs: number): Promise<MemberStatus> {
    const clients = new MemberClients(this.cfg);
    const startMs = this.opts.clock.nowMs();
    try {
      for (;;) {
        const s = await clients.status(m, 500);
        if (s) return s;
        if (this.pidOf(m) === undefined) throw new SupervisorError(`${m.name} exited; last lines of ${this.logFile(m)}:\n${this.tail(m)}`);
        if (this.opts.clock.nowMs() - startMs > timeoutMs) throw new SupervisorError(`${m.name} did not answer within ${timeoutMs} ms`);
        await sleep(this.opts.clock, 100);
      }
    } finally {
      clients.close();
    }
  }

  /** down stops every member (SIGTERM, then SIGKILL after a grace period); purge deletes the
   *  cluster's whole state dir (data, logs, config). */
  async down(purge: boolean): Promise<number> {
    let stopped = 0;
    for (const c of ELECTED) for (const m of this.cfg.members) await this.stopMember(m, 5_000, c);
    for (const m of this.cfg.members) await this.stopMember(m, 5_000, 'apiserver');
    for (const m of this.cfg.members) if (await this.stopMember(m)) stopped++;
    if (existsSync(this.paths.pids)) for (const f of readdirSync(this.paths.pids)) rmSync(join(this.paths.pids, f), { force: true });
    if (purge) {
      if (this.cfg.members.some((m) => m.api !== undefined)) forgetApiAccess(this.cfg, this.env);
      rmSync(this.paths.root, { recursive: true, force: true });
      if (this.cfg.dataDir !== 'data') rmSync(this.paths.data, { recursive: true, force: true });
    }
    return stopped;
  }

  /** stopMember: SIGTERM, wait up to 5 s, then SIGKILL. True if it was running. */
  async stopMember(m: MemberSpec, graceMs = 5_000, c: Component = 'store'): Promise<boolean> {
    const pid = this.pidOf(m, c);
    if (pid === undefined) {
      this.removePid(m, c);
      return false;
    }
    process.kill(pid, 'SIGTERM');
    const startMs = this.opts.clock.nowMs();
    while (isComponentProcess(pid, c)) {
      if (this.opts.clock.nowMs() - startMs > graceMs) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await sleep(this.opts.clock, 50);
    }
    this.removePid(m, c);
    this.say(`stopped ${c === 'store' ? m.name : `${m.name}/${c}`} (pid ${pid})`);
    return true;
  }

  member(name: string): MemberSpec {
    const m = this.cfg.members.find((x) => x.name === name);
    if (!m) throw new SupervisorError(`no member ${name} in cluster ${this.cfg.name} (members: ${this.cfg.members.map((x) => x.name).join(', ')})`);
    return m;
  }

  /** pidOf is the member's pid if its pid file names a live member process. */
  pidOf(m: MemberSpec, c: Component = 'store'): number | undefined {
    let pid: number;
    try {
      pid = Number(readFileSync(this.pidFile(m, c), 'utf8').trim());
    } catch {
      return undefined;
    }
    return Number.isInteger(pid) && pid > 0 && isComponentProcess(pid, c) ? pid : undefined;
  }

  logFile(m: MemberSpec, c: Component = 'store'): string {
    return join(this.paths.logs, c === 'store' ? `${m.name}.log` : `${m.name}-${c}.log`);
  }

  private pidFile(m: MemberSpec, c: Component = 'store'): string {
    return join(this.paths.pids, c === 'store' ? `${m.name}.pid` : `${m.name}-${c}.pid`);
  }

  private removePid(m: MemberSpec, c: Component = 'store'): void {
    try {
      unlinkSync(this.pidFile(m, c));
    } catch {
      // Already gone.
    }
  }

  private tail(m: MemberSpec, lines = 15, c: Component = 'store'): string {
    try {
      return readFileSync(this.logFile(m, c), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private say(line: string): void {
    this.opts.log?.(line);
  }
}

/** componentsOf: a master's processes in stop order (leaders first, the store last). */
function componentsOf(m: MemberSpec): Component[] {
  if (m.api === undefined) return ['store'];
  return m.grpc === undefined ? ['apiserver', 'store'] : [...ELECTED, 'apiserver', 'store'];
}

/** isComponentProcess: the pid is alive and (where /proc exists) runs that component's main, so a
 *  recycled pid of an unrelated process is never signalled. */
function isComponentProcess(pid: number, c: Component): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmd.includes(MARKERS[c])) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/^\d+ \(.*\) Z/.test(stat); // A zombie is dead.
    }
    return false;
  } catch {
    return process.platform !== 'linux';
  }
}

/** effectiveConfig is the config as members read it: tls dir absolute, force kept. */
function effectiveConfig(cfg: ClusterConfig): string {
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
    force: cfg.force,
  };
  if (cfg.tlsDir !== undefined) doc.tls = { dir: cfg.tlsDir };
  return `# Effective config of cluster ${cfg.name}, written by k8ts up from ${cfg.source}.\n${stringify(doc)}`;
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
