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

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MEMBER_MAIN = fileURLToPath(new URL('./member-main.ts', import.meta.url));

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
}

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
      for (const address of [m.address, ...(m.client === undefined ? [] : [m.client])]) {
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
    return this.waitForLeader(this.opts.leaderTimeoutMs ?? 30_000);
  }

  /** startMember spawns one member detached from this process, so it outlives the CLI. */
  startMember(m: MemberSpec): number {
    const logFile = join(this.paths.logs, `${m.name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', MEMBER_MAIN, '--config', this.paths.config, '--member', m.name], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: this.env,
    });
    closeSync(fd);
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new SupervisorError(`cannot start ${m.name}; see ${logFile}`);
    writeFileSync(this.pidFile(m), `${pid}\n`);
    this.say(`started ${m.name} (id ${m.id}, peers ${m.address}, etcd clients ${m.client ?? m.address}) pid ${pid}, log ${logFile}`);
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
      return this.cfg.members.map((spec, i) => ({ spec, pid: this.pidOf(spec), status: statuses[i] }));
    } finally {
      clients.close();
    }
  }

  /** kill sends SIGKILL: a crash, for experiments. */
  kill(name: string): number {
    const m = this.member(name);
    const pid = this.pidOf(m);
    if (pid === undefined) throw new SupervisorError(`${name} is not running`);
    process.kill(pid, 'SIGKILL');
    this.removePid(m);
    this.say(`killed ${name} (pid ${pid})`);
    return pid;
  }

  /** restart stops the member if it runs, starts it on its data dir and waits until it answers. */
  async restart(name: string, timeoutMs = 15_000): Promise<MemberStatus> {
    const m = this.member(name);
    await this.stopMember(m);
    this.startMember(m);
    const clients = new MemberClients(this.cfg);
    const startMs = this.opts.clock.nowMs();
    try {
      for (;;) {
        const s = await clients.status(m, 500);
        if (s) return s;
        if (this.pidOf(m) === undefined) throw new SupervisorError(`${name} exited; last lines of ${this.logFile(m)}:\n${this.tail(m)}`);
        if (this.opts.clock.nowMs() - startMs > timeoutMs) throw new SupervisorError(`${name} did not answer within ${timeoutMs} ms`);
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
    for (const m of this.cfg.members) if (await this.stopMember(m)) stopped++;
    if (existsSync(this.paths.pids)) for (const f of readdirSync(this.paths.pids)) rmSync(join(this.paths.pids, f), { force: true });
    if (purge) {
      rmSync(this.paths.root, { recursive: true, force: true });
      if (this.cfg.dataDir !== 'data') rmSync(this.paths.data, { recursive: true, force: true });
    }
    return stopped;
  }

  /** stopMember: SIGTERM, wait up to 5 s, then SIGKILL. True if it was running. */
  async stopMember(m: MemberSpec, graceMs = 5_000): Promise<boolean> {
    const pid = this.pidOf(m);
    if (pid === undefined) {
      this.removePid(m);
      return false;
    }
    process.kill(pid, 'SIGTERM');
    const startMs = this.opts.clock.nowMs();
    while (isMemberProcess(pid)) {
      if (this.opts.clock.nowMs() - startMs > graceMs) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await sleep(this.opts.clock, 50);
    }
    this.removePid(m);
    this.say(`stopped ${m.name} (pid ${pid})`);
    return true;
  }

  member(name: string): MemberSpec {
    const m = this.cfg.members.find((x) => x.name === name);
    if (!m) throw new SupervisorError(`no member ${name} in cluster ${this.cfg.name} (members: ${this.cfg.members.map((x) => x.name).join(', ')})`);
    return m;
  }

  /** pidOf is the member's pid if its pid file names a live member process. */
  pidOf(m: MemberSpec): number | undefined {
    let pid: number;
    try {
      pid = Number(readFileSync(this.pidFile(m), 'utf8').trim());
    } catch {
      return undefined;
    }
    return Number.isInteger(pid) && pid > 0 && isMemberProcess(pid) ? pid : undefined;
  }

  logFile(m: MemberSpec): string {
    return join(this.paths.logs, `${m.name}.log`);
  }

  private pidFile(m: MemberSpec): string {
    return join(this.paths.pids, `${m.name}.pid`);
  }

  private removePid(m: MemberSpec): void {
    try {
      unlinkSync(this.pidFile(m));
    } catch {
      // Already gone.
    }
  }

  private tail(m: MemberSpec, lines = 15): string {
    try {
      return readFileSync(this.logFile(m), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private say(line: string): void {
    this.opts.log?.(line);
  }
}

/** isMemberProcess: the pid is alive and (where /proc exists) runs member-main, so a recycled pid
 *  of an unrelated process is never signalled. */
function isMemberProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmd.includes('member-main')) {
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
    members: cfg.members.map((m) => ({ id: m.id, name: m.name, address: m.address, ...(m.client === undefined ? {} : { client: m.client }) })),
    dataDir: cfg.dataDir,
    timing: cfg.timing,
    forwarding: cfg.forwarding,
    store: cfg.store,
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
