/**
 * ContainerSupervisor: the process runtime's containers as processes — starting them (after the
 * start checks), watching them end, stopping and removing them, their execs, their usage, and
 * re-adopting them after a runtime restart. ProcessRuntime (runtime.ts) is the CRI face over it
 * and the sandboxes; this file owns every live process.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Timer } from '../../base/clock.js';
import { CriCode, CriError, criInvalid } from '../../kubelet/cri/errors.js';
import type * as cri from '../../kubelet/cri/types.js';
import {
  ContainerProcess, UNKNOWN_EXIT_CODE, type ExitInfo, type ProcessDeps, type ProcessSpec,
} from './container-process.js';
import type { LogSpares } from '../logs/spares.js';
import { toContainerStats } from './cri-convert.js';
import { ExecStartError, killTree, startExec } from './exec.js';
import { fifoRoot, removeIfEmpty, tmpfsCandidates } from './fifo-dir.js';
import { FifoPool, mkfifoHere } from './fifo-pool.js';
import { portClashFromOutput } from './ports.js';
import { isSameProcess, readGroupUsage } from './proc-stats.js';
import type { ScratchRoots } from './scratch-roots.js';
import { SpawnerPool } from './spawner.js';
import { checkStart } from './start-checks.js';
import { fifoPaths, flatFifoPaths, removeFifos } from './stdio-fifos.js';
import type { ContainerRecord, SandboxRecord, StateStore } from './state-store.js';

/** A non-zero exit this soon after start is checked for a port clash in the output. */
const EARLY_EXIT_MS = 2000;
/** How long StopContainer waits past SIGKILL before it gives up on a process. */
const KILL_WAIT_MS = 10_000;
/** The spawner's helper starts this long after the runtime: a node's own start (its static
 *  pods while `k8ts up` brings the cluster up) forks directly instead of also paying the boot
 *  of one more Node process (~70 ms of CPU) while every component boots. */
export const SPAWNER_START_DELAY_MS = 5_000;

/** What the supervisor needs from the runtime. */
export interface SupervisorOptions {
  stateDir: string;
  store: StateStore;
  clock: Clock;
  wallMs: () => number;
  /** How a sandbox's address is named in bind-failure messages (its pod IP, or "the node"). */
  sandboxIp(sandboxId: string): string;
  /** The containers' scratch roots (removed with their containers). */
  roots: ScratchRoots;
  /** Where containers' log directories and files come from (recycled ones when there are). */
  logSpares?: LogSpares;
  /** When the spawner helper starts (default SPAWNER_START_DELAY_MS; 0: at once). */
  spawnerDelayMs?: number;
  /** tmpfs directories the pipes may live under (fifo-dir.ts; default: XDG_RUNTIME_DIR and
   *  /dev/shm; empty: in stateDir). */
  fifoTmpfs?: readonly string[];
}

/** ContainerSupervisor — see the file comment. */
export class ContainerSupervisor {
  /** Every container record, by id (the runtime's view of containers reads it). */
  readonly records = new Map<string, ContainerRecord>();
  private readonly procs = new Map<string, ContainerProcess>();
  /** Containers an older runtime made (loaded by recover): only their pipes may lie where
   *  an older layout put them (fifoPathsOf). */
  private readonly inherited = new Set<string>();
  private readonly execs = new Map<string, Set<ChildProcess>>();
  private readonly fifos: FifoPool;
  /** Holds io/ (the containers' pipes) and fifo-pool/: on tmpfs, else stateDir (fifo-dir.ts). */
  private readonly fifoDir: string;
  private readonly spawner = new SpawnerPool();
  private spawnerTimer: Timer | undefined;

  constructor(private readonly o: SupervisorOptions) {
    this.fifoDir = fifoRoot(o.stateDir, o.fifoTmpfs ?? tmpfsCandidates(process.env));
    // Batches through the spawner helpers once they run (no fork of the runtime mid-burst).
    this.fifos = new FifoPool(join(this.fifoDir, 'fifo-pool'), (paths) =>
      (this.spawner.started ? this.spawner.mkfifo(paths) : mkfifoHere(paths)));
    mkdirSync(this.ioDir, { recursive: true });
    const delayMs = o.spawnerDelayMs ?? SPAWNER_START_DELAY_MS;
    if (delayMs <= 0) this.spawner.start();
    else this.spawnerTimer = o.clock.setTimeout(() => this.spawner.start(), delayMs);
  }

  /** proc is the live process of a running container, if this runtime watches it. */
  proc(id: string): ContainerProcess | undefined {
    return this.procs.get(id);
  }

  /** close lets go of every container without stopping it (a later runtime adopts them). */
  async close(): Promise<void> {
    const procs = [...this.procs.values()];
    this.procs.clear();
    await Promise.all(procs.map((p) => p.detach()));
    this.spawnerTimer?.cancel();
    // The pool first: a batch of FIFOs a helper is making is waited for while the helper is
    // still there to answer (closing the spawner first failed the wait at once, and the
    // helper's mkfifo then wrote into fifo-pool/ while it was being removed: ENOTEMPTY).
    await this.fifos.close();
    this.spawner.close();
    // The pool's pipes go (a runtime started next empties the pool anyway); io/ and a tmpfs
    // directory stay while containers hold pipes there.
    rmSync(join(this.fifoDir, 'fifo-pool'), { recursive: true, force: true });
    if (this.fifoDir !== this.o.stateDir) {
      removeIfEmpty(this.ioDir);
      removeIfEmpty(this.fifoDir);
    }
  }

  /**
   * recover loads the stored containers: running ones whose process still lives are adopted,
   * the others are recorded as ended with an unknown exit code.
   */
  async recover(): Promise<void> {
    for (const c of this.o.store.loadContainers()) {
      this.records.set(c.id, c);
      this.inherited.add(c.id);
      if (c.phase !== 'running') continue;
      if (c.pid > 0 && isSameProcess(c.pid, c.pidStartTicks)) {
        try {
          const spec = this.specOf(c, c.argv);
          const proc = await ContainerProcess.adopt(spec, this.deps(), c.pid, c.pidStartTicks);
          this.track(c, proc);
          continue;
        } catch {
          killGroup(c.pid); // it runs but its pipes are gone: nobody could see it; end it
        }
      }
      const finishedAtMs = this.o.wallMs();
      const exit = { exitCode: UNKNOWN_EXIT_CODE, signal: undefined, finishedAtMs, unknown: true };
      this.recordExit(c, exit, '');
    }
  }

  /**
   * start runs a CREATED container. probePorts: see checkStart. A container that cannot start
   * is EXITED with exit code 128 and reason StartError, and the call fails with the reason.
   */
  async start(
    record: ContainerRecord, sandbox: SandboxRecord, probePorts: boolean,
  ): Promise<void> {
    const plan = await checkStart(record, sandbox, probePorts);
    let proc: ContainerProcess | undefined;
    let failure = 'error' in plan ? plan.error : undefined;
    if ('argv' in plan) {
      try {
        proc = await ContainerProcess.spawn(this.specOf(record, plan.argv), this.deps());
      } catch (err) {
        failure = `failed to start container process: ${(err as Error).message}`;
      }
    }
    if (proc === undefined) {
      Object.assign(record, {
        phase: 'exited', exitCode: 128, reason: 'StartError', message: failure ?? 'start failed',
        finishedAtMs: this.o.wallMs(), startedAtMs: 0, pid: 0,
      });
      await this.o.store.saveContainer(record);
      throw new CriError(CriCode.UNKNOWN, failure ?? 'start failed');
    }
    Object.assign(record, {
      phase: 'running', startedAtMs: this.o.wallMs(), pid: proc.pid, pidStartTicks: proc.startTicks,
    });
    this.track(record, proc);
    await this.o.store.saveContainer(record);
  }

  private track(record: ContainerRecord, proc: ContainerProcess): void {
    this.procs.set(record.id, proc);
    void proc.exited.then((exit) => {
      if (this.procs.get(record.id) !== proc) return; // removed or detached meanwhile
      this.procs.delete(record.id);
      for (const child of this.execs.get(record.id) ?? []) killTree(child);
      this.recordExit(record, exit, proc.recentOutput());
    });
  }

  private recordExit(record: ContainerRecord, exit: ExitInfo, output: string): void {
    record.phase = 'exited';
    record.exitCode = exit.exitCode;
    record.finishedAtMs = exit.finishedAtMs;
    record.pid = 0;
    if (exit.unknown) {
      record.reason = 'Unknown';
      record.message = 'the container exited while the process runtime was not running; ' +
        'its exit code is unknown';
    } else if (exit.exitCode !== 0 && exit.finishedAtMs - record.startedAtMs < EARLY_EXIT_MS) {
      const ip = this.o.sandboxIp(record.sandboxId);
      record.message = portClashFromOutput(output, ip) ?? record.message;
    }
    // Not awaited (an exit has no caller to answer); a failed write leaves the record RUNNING on
    // disk, which a restarted runtime corrects to an unknown exit.
    if (!this.records.has(record.id)) return;
    void this.o.store.saveContainer(record).catch(() => undefined);
  }

  /** stop runs the stop sequence on a running container and waits for its end (bounded). */
  async stop(record: ContainerRecord, graceMs: number): Promise<void> {
    const proc = this.procs.get(record.id);
    if (record.phase !== 'running' || proc === undefined) return;
    let timer: { cancel(): void } | undefined;
    const giveUp = new Promise<'late'>((resolve) => {
      timer = this.o.clock.setTimeout(() => resolve('late'), Math.max(0, graceMs) + KILL_WAIT_MS);
    });
    const outcome = await Promise.race([proc.stop(Math.max(0, graceMs)), giveUp]);
    timer?.cancel();
    if (outcome === 'late') {
      throw new CriError(CriCode.DEADLINE_EXCEEDED,
        `container "${record.id}" did not exit ${KILL_WAIT_MS} ms after SIGKILL`);
    }
    // The exit is recorded by track()'s handler, which ran before stop() resolved here.
  }

  /** remove kills a running container and deletes it with its pipes and scratch root. */
  async remove(record: ContainerRecord): Promise<void> {
    await this.stop(record, 0);
    this.records.delete(record.id);
    this.procs.delete(record.id);
    const fifos = this.fifoPathsOf(record);
    this.inherited.delete(record.id);
    await this.o.store.deleteContainer(record.id);
    // Off the event loop: a scratch root's directories cost ms each to remove on a busy disk.
    await Promise.all([removeFifos(fifos), this.o.roots.remove(record.id)]);
  }

  /** stats reads the usage of the given containers from /proc in one scan. */
  stats(records: ContainerRecord[]): cri.ContainerStats[] {
    const running = records.filter((c) => c.phase === 'running' && c.pid > 0);
    const groups = new Set(running.map((c) => c.pid));
    const usage = readGroupUsage(groups);
    const now = this.o.wallMs();
    return records.map((c) =>
      toContainerStats(c, c.phase === 'running' ? usage.get(c.pid) : undefined, now));
  }

  /** Where the containers' pipes live (stdio-fifos.ts). */
  private get ioDir(): string {
    return join(this.fifoDir, 'io');
  }

  /** fifoPathsOf: a container's pipes — where this runtime makes them, or where an older one
   *  made them in the state directory (found there for a container adopted across versions).
   *  Only a container loaded from the records can have the older layouts: the paths of one this
   *  runtime made are the flat ones, without fifoPaths' two existence checks (synchronous
   *  stats on the event loop at every start and removal). */
  private fifoPathsOf(record: ContainerRecord) {
    return this.inherited.has(record.id)
      ? fifoPaths(this.ioDir, record.id, record.tty, record.stdin, join(this.o.stateDir, 'io'))
      : flatFifoPaths(this.ioDir, record.id, record.tty, record.stdin);
  }

  private specOf(record: ContainerRecord, argv: string[]): ProcessSpec {
    return {
      id: record.id, argv, env: Object.fromEntries(record.env.map((e) => [e.key, e.value])),
      cwd: record.cwd, stdin: record.stdin, tty: record.tty, logPath: record.logPath,
      fifos: this.fifoPathsOf(record),
    };
  }

  /** startTrackedExec starts an exec that dies with its container. */
  startTrackedExec(record: ContainerRecord, cmd: readonly string[], tty: boolean): ChildProcess {
    if (cmd.length === 0) throw criInvalid('cmd out of range');
    let child: ChildProcess;
    try {
      child = startExec(record, cmd, tty);
    } catch (err) {
      if (err instanceof ExecStartError) throw new CriError(CriCode.UNKNOWN, err.message);
      throw err;
    }
    const set = this.execs.get(record.id) ?? new Set();
    set.add(child);
    this.execs.set(record.id, set);
    child.once('close', () => set.delete(child));
    child.once('error', () => set.delete(child));
    return child;
  }

  private deps(): ProcessDeps {
    return { clock: this.o.clock, wallMs: this.o.wallMs, fifos: this.fifos,
      ...(this.spawner.started ? { spawner: this.spawner } : {}),
      ...(this.o.logSpares === undefined ? {} : { logSpares: this.o.logSpares }) };
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
}
