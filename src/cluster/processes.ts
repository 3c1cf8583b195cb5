/**
 * ProcessTable: the detached processes of one cluster on this machine — spawned from this repo's
 * entry points, each with its output in <state>/logs/<unit>.log and its pid in
 * <state>/pids/<unit>.pid, so later commands (status, kill, restart, down) find them by cluster
 * name alone. A unit is "<node>" for a master's store member (the historical names) and
 * "<node>-<component>" for everything else (m1-apiserver, w1-kubelet, ...).
 *
 * A pid is trusted only while /proc/<pid>/cmdline still runs that component's entry point (the
 * TypeScript file or its bundle, build/launch.ts), so a recycled pid of an unrelated process is
 * never signalled.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../base/clock.js';
import { ENTRY_POINTS, REPO_ROOT, type Component } from './build/entry-points.js';
import { entryStem, TSX_LAUNCH, type Launch } from './build/launch.js';
import { sleep } from './member-client.js';

export { ENTRY_POINTS, type Component } from './build/entry-points.js';

/** SupervisorError: an operating failure the CLI reports (a process died, no leader in time). */
export class SupervisorError extends Error {
  override name = 'SupervisorError';
}

/** COMPONENTS: every component name, for messages. */
export const COMPONENTS = Object.keys(ENTRY_POINTS) as Component[];

/** unitName: the file stem of a node's component (the store keeps the member's bare name). */
export function unitName(node: string, c: Component): string {
  return c === 'store' ? node : `${node}-${c}`;
}

/** unitLabel: how messages name a node's component ("m1", "m1/apiserver"). */
export function unitLabel(node: string, c: Component): string {
  return c === 'store' ? node : `${node}/${c}`;
}

export class ProcessTable {
  constructor(
    private readonly dirs: { logs: string; pids: string },
    private readonly clock: Clock,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** launch: how spawn starts a component — tsx until the supervisor has prepared the bundle. */
  launch: Launch = TSX_LAUNCH;

  /** spawn starts a component detached from this process (it outlives the CLI), appending its
   *  output to its log, and records its pid. */
  spawn(node: string, c: Component, args: readonly string[]): number {
    const logFile = this.logFile(node, c);
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [...this.launch.nodeArgs(c), ...args], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: this.env,
    });
    closeSync(fd);
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`cannot start ${unitLabel(node, c)}; see ${logFile}`);
    writeFileSync(this.pidFile(node, c), `${pid}\n`);
    return pid;
  }

  /** pidOf is the unit's pid if its pid file names a live process of that component. */
  pidOf(node: string, c: Component): number | undefined {
    let pid: number;
    try {
      pid = Number(readFileSync(this.pidFile(node, c), 'utf8').trim());
    } catch {
      return undefined;
    }
    return Number.isInteger(pid) && pid > 0 && isComponentProcess(pid, c) ? pid : undefined;
  }

  /** kill sends SIGKILL (a crash, for experiments); the pid if it was running. */
  kill(node: string, c: Component): number | undefined {
    const pid = this.pidOf(node, c);
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
    this.forget(node, c);
    return pid;
  }

  /** stop: SIGTERM, wait up to graceMs, then SIGKILL. The pid if it was running. */
  async stop(node: string, c: Component, graceMs = 5_000): Promise<number | undefined> {
    const pid = this.pidOf(node, c);
    if (pid === undefined) {
      this.forget(node, c);
      return undefined;
    }
    process.kill(pid, 'SIGTERM');
    const startMs = this.clock.nowMs();
    while (isComponentProcess(pid, c)) {
      if (this.clock.nowMs() - startMs > graceMs) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await sleep(this.clock, 50);
    }
    this.forget(node, c);
    return pid;
  }

  /** hasPidFile: a pid file exists (started once), whether or not the process still lives. */
  hasPidFile(node: string, c: Component): boolean {
    try {
      readFileSync(this.pidFile(node, c));
      return true;
    } catch {
      return false;
    }
  }

  logFile(node: string, c: Component): string {
    return join(this.dirs.logs, `${unitName(node, c)}.log`);
  }

  /** tail: the last lines of the unit's log, for startup failures. */
  tail(node: string, c: Component, lines = 15): string {
    try {
      return readFileSync(this.logFile(node, c), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private pidFile(node: string, c: Component): string {
    return join(this.dirs.pids, `${unitName(node, c)}.pid`);
  }

  private forget(node: string, c: Component): void {
    try {
      unlinkSync(this.pidFile(node, c));
    } catch {
      // Already gone.
    }
  }
}

/** isComponentProcess: the pid is alive, not a zombie, and (where /proc exists) runs that
 *  component's entry point, from source or bundled (the path stem is on the command line). */
export function isComponentProcess(pid: number, c: Component): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmd.includes(entryStem(ENTRY_POINTS[c]))) return false;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat); // A zombie is dead.
  } catch {
    return process.platform !== 'linux';
  }
}
