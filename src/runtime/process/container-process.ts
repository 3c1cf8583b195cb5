/**
 * The shell around one running container: its process group, its output pipes, its CRI log
 * writer, and the lifecycle actor that decides when to escalate a stop. It reports exactly one
 * exit, after the output has drained into the log (bounded), so a container reported EXITED
 * already has its last lines on disk. A container is adopted rather than spawned when the
 * runtime restarted while it ran: then no exit status can be had (it is not our child), and a
 * poll of /proc notices when it is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { Clock, Timer } from '../../base/clock.js';
import { CriLogWriter } from '../logs/writer.js';
import type { LogStream } from '../logs/format.js';
import type { LogSpares } from '../logs/spares.js';
import { startContainerActor, type ContainerActor } from './container-machine.js';
import type { FifoPool } from './fifo-pool.js';
import { isSameProcess, readProcStat } from './proc-stats.js';
import type { Spawned, SpawnerPool } from './spawner.js';
import {
  closeChildEnds, createFifos, openChildEnds, openReader, openStdinEnds, type FifoPaths,
} from './stdio-fifos.js';

/** ProcessSpec is everything needed to run (or re-adopt) a container's main process. */
export interface ProcessSpec {
  id: string;
  /** argv[0] is the resolved executable path. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  stdin: boolean;
  tty: boolean;
  /** Absolute CRI log path; '' writes no log. */
  logPath: string;
  fifos: FifoPaths;
}

/** ProcessDeps are the injected clocks, the source of fresh pipes and, when given, the helper
 *  that forks containers without stdin (spawner.ts); without it the runtime forks them. */
export interface ProcessDeps {
  clock: Clock;
  wallMs(): number;
  fifos: FifoPool;
  spawner?: SpawnerPool;
  /** Log directories and files recycled from deleted pods (runtime/logs/spares.ts). */
  logSpares?: LogSpares;
}

/** ExitInfo is how the main process ended. unknown: it ended while no runtime watched it. */
export interface ExitInfo {
  exitCode: number;
  signal: string | undefined;
  finishedAtMs: number;
  unknown: boolean;
}

/** OutputListener receives the container's output while attached (kubectl attach). */
export interface OutputListener {
  stdout?: Writable;
  stderr?: Writable;
}

/** How long output may keep draining after the main process exited (grandchildren that kept
 *  the pipes open are killed with the group, so this only bounds a pathological case). */
const DRAIN_AFTER_EXIT_MS = 2000;
/** How often an adopted process is checked for liveness. */
const ADOPTED_POLL_MS = 1000;
/** How much recent output is kept for recognising a bind failure after an early exit. */
const TAIL_BYTES = 8192;
/** An attached client that stops reading is skipped past this much buffered output. */
const ATTACH_BUFFER_BYTES = 1024 * 1024;

/** The exit code of an adopted container whose end nobody saw (as containerd's unknown exit). */
export const UNKNOWN_EXIT_CODE = 255;

/** ContainerProcess — see the file comment. Create with spawn() or adopt(). */
export class ContainerProcess {
  readonly exited: Promise<ExitInfo>;
  private resolveExit!: (info: ExitInfo) => void;
  private readonly listeners = new Set<OutputListener>();
  private readonly readers: Socket[] = [];
  private readonly copies: Promise<void>[] = [];
  private tail = '';
  private writer: CriLogWriter | undefined;
  private logClosed = false;
  private actor: ContainerActor | undefined;
  private pollTimer: Timer | undefined;
  private child: ChildProcess | undefined;
  private exitSeen = false;
  private detachedFromRuntime = false;
  /** The container's stdin while it runs (stdin: true and spawned by this runtime). */
  stdin: Writable | undefined;

  private constructor(
    readonly spec: ProcessSpec,
    readonly pid: number,
    readonly startTicks: number,
    private readonly deps: ProcessDeps,
  ) {
    this.exited = new Promise((resolve) => { this.resolveExit = resolve; });
  }

  /**
   * spawn starts the main process in its own process group with its output on the pipes.
   * Rejects with the OS's reason (ENOENT, EACCES) when the process cannot start.
   */
  static async spawn(spec: ProcessSpec, deps: ProcessDeps): Promise<ContainerProcess> {
    await createFifos(spec.fifos, deps.fifos);
    const io = await openOutput(spec, deps);
    if (deps.spawner !== undefined && spec.fifos.stdin === undefined) {
      return ContainerProcess.spawnByHelper(spec, deps, deps.spawner, io);
    }
    const fds = openChildEnds(spec.fifos);
    const stdin = spec.fifos.stdin === undefined ? undefined : openStdinEnds(spec.fifos.stdin);
    let child: ChildProcess;
    try {
      child = spawn(spec.argv[0] ?? '', spec.argv.slice(1), {
        argv0: spec.argv[0], cwd: spec.cwd, env: spec.env, detached: true,
        stdio: [stdin?.child ?? 'ignore', fds.stdout, fds.stderr],
      });
    } finally {
      closeChildEnds(fds);
      if (stdin !== undefined) closeSync(stdin.child);
    }
    const started = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (err) => resolve(err));
    });
    if (started !== undefined || child.pid === undefined) {
      for (const r of io.readers) r.destroy();
      stdin?.writer.destroy();
      await io.writer?.close();
      throw started ?? new Error('spawn returned no pid');
    }
    const startTicks = readProcStat(child.pid)?.startTicks ?? 0;
    const proc = new ContainerProcess(spec, child.pid, startTicks, deps);
    proc.child = child;
    proc.stdin = stdin?.writer;
    stdin?.writer.on('error', () => undefined); // EPIPE after the container exited
    child.once('exit', (code, signal) => {
      proc.onExit(exitCodeOf(code, signal), signal ?? undefined);
    });
    child.unref();
    proc.begin(io);
    return proc;
  }

  /** spawnByHelper: spawn() through the spawner helper (containers without stdin). */
  private static async spawnByHelper(spec: ProcessSpec, deps: ProcessDeps, spawner: SpawnerPool,
    io: { writer: CriLogWriter | undefined; readers: Socket[] }): Promise<ContainerProcess> {
    let launched: Spawned;
    try {
      launched = await spawner.spawn({
        file: spec.argv[0] ?? '', args: spec.argv.slice(1), argv0: spec.argv[0] ?? '',
        cwd: spec.cwd, env: spec.env, stdout: spec.fifos.stdout, stderr: spec.fifos.stderr,
      });
    } catch (err) {
      for (const r of io.readers) r.destroy();
      await io.writer?.close();
      throw err;
    }
    const startTicks = readProcStat(launched.pid)?.startTicks ?? 0;
    const proc = new ContainerProcess(spec, launched.pid, startTicks, deps);
    void launched.exited.then((e) => {
      // The helper died first: the exit status is gone with it; watch /proc as for adopted.
      if (e.lost) proc.pollLiveness();
      else proc.onExit(exitCodeOf(e.code, e.signal), e.signal ?? undefined);
    });
    proc.begin(io);
    return proc;
  }

  /** adopt re-attaches to a container a previous runtime started (its output and its end). */
  static async adopt(
    spec: ProcessSpec, deps: ProcessDeps, pid: number, startTicks: number,
  ): Promise<ContainerProcess> {
    const proc = new ContainerProcess(spec, pid, startTicks, deps);
    proc.begin(await openOutput(spec, deps));
    proc.pollLiveness();
    return proc;
  }

  /** pollLiveness watches /proc for the end of a process that is not our child. */
  private pollLiveness(): void {
    if (this.exitSeen || this.detachedFromRuntime || this.pollTimer !== undefined) return;
    this.pollTimer = this.deps.clock.setInterval(() => {
      if (!isSameProcess(this.pid, this.startTicks)) {
        this.onExit(UNKNOWN_EXIT_CODE, undefined, true);
      }
    }, ADOPTED_POLL_MS);
  }

  /** stop asks for the stop sequence (TERM, grace, KILL) and resolves when the process ended. */
  stop(graceMs: number): Promise<ExitInfo> {
    if (!this.exitSeen && !this.detachedFromRuntime) {
      this.lifecycle().send({ type: 'STOP', graceMs });
    }
    return this.exited;
  }

  /**
   * lifecycle: the container's machine, made at the first stop. Until then the process runs
   * and nothing is to be decided (its exit is reported without the machine), so a burst of
   * starts makes no actor — one per container was ~3 % of the runtime's sampled time in a
   * 100-pod round (createActor and its start; node-burst-micro --prof) — and a container
   * that ends on its own never needs one.
   */
  private lifecycle(): ContainerActor {
    this.actor ??= startContainerActor('running', {
      term: () => this.signalGroup('SIGTERM'),
      kill: () => this.signalGroup('SIGKILL'),
    }, this.deps.clock);
    return this.actor;
  }

  /** attachOutput streams the container's output to a client until the returned function. */
  attachOutput(listener: OutputListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** recentOutput is the last few KiB of output, both streams (bind-failure detection). */
  recentOutput(): string {
    return this.tail;
  }

  /** reopenLog switches to a fresh log file after the kubelet rotated the old one. */
  async reopenLog(): Promise<void> {
    if (this.writer !== undefined && !this.logClosed) await this.writer.reopen();
  }

  /**
   * detach lets go of the container without stopping it (the runtime is shutting down): the
   * process keeps running and a later runtime adopts it. Its exit is no longer reported here.
   */
  async detach(): Promise<void> {
    this.detachedFromRuntime = true;
    this.pollTimer?.cancel();
    this.child?.removeAllListeners('exit');
    this.stdin?.destroy();
    for (const r of this.readers) r.destroy();
    await Promise.allSettled(this.copies);
    await this.closeLog();
    this.actor?.stop();
  }

  /** begin copies the running process's output into the log. */
  private begin(io: { writer: CriLogWriter | undefined; readers: Socket[] }): void {
    this.writer = io.writer;
    const streams: LogStream[] = ['stdout', 'stderr'];
    io.readers.forEach((reader, i) => {
      this.readers.push(reader);
      this.copies.push(this.copy(streams[i] ?? 'stdout', reader));
    });
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is already gone; the exit report follows.
    }
  }

  private async copy(stream: LogStream, reader: Socket): Promise<void> {
    try {
      for await (const chunk of reader as AsyncIterable<Buffer>) {
        this.remember(chunk);
        this.deliver(stream, chunk);
        if (this.writer !== undefined && !this.logClosed) await this.writer.write(stream, chunk);
      }
      if (this.writer !== undefined && !this.logClosed) await this.writer.endStream(stream);
    } catch {
      // A destroyed reader (detach) or a read error ends this stream like EOF.
    }
  }

  private remember(chunk: Buffer): void {
    this.tail = (this.tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
  }

  private deliver(stream: LogStream, chunk: Buffer): void {
    for (const l of this.listeners) {
      const target = stream === 'stderr' ? l.stderr : l.stdout;
      if (target === undefined || target.destroyed) continue;
      if (target.writableLength < ATTACH_BUFFER_BYTES) target.write(chunk);
    }
  }

  private onExit(exitCode: number, signal: string | undefined, unknown = false): void {
    if (this.exitSeen || this.detachedFromRuntime) return;
    this.exitSeen = true;
    this.pollTimer?.cancel();
    // The main process is the container: what it left behind in its group goes with it, as
    // the kernel kills a pid namespace when its init exits.
    this.signalGroup('SIGKILL');
    const finishedAtMs = this.deps.wallMs();
    void this.drain().then(async () => {
      await this.closeLog();
      this.actor?.send({ type: 'EXITED' });
      this.actor?.stop();
      this.resolveExit({ exitCode, signal, finishedAtMs, unknown });
    });
  }

  private async drain(): Promise<void> {
    let timer: Timer | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.deps.clock.setTimeout(resolve, DRAIN_AFTER_EXIT_MS);
    });
    await Promise.race([Promise.allSettled(this.copies), timeout]);
    timer?.cancel();
    for (const r of this.readers) r.destroy();
    await Promise.allSettled(this.copies);
  }

  private async closeLog(): Promise<void> {
    if (this.logClosed) return;
    this.logClosed = true;
    await this.writer?.close().catch(() => undefined);
  }
}

/** exitCodeOf maps Node's (code, signal) to a container exit code: a signal n gives 128 + n. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal === null ? undefined : osConstants.signals[signal];
  return n === undefined ? UNKNOWN_EXIT_CODE : 128 + n;
}

async function openOutput(
  spec: ProcessSpec, deps: ProcessDeps,
): Promise<{ writer: CriLogWriter | undefined; readers: Socket[] }> {
  const writer = spec.logPath === ''
    ? undefined
    : await CriLogWriter.open({ logPath: spec.logPath, wallMs: () => deps.wallMs(),
      ...(deps.logSpares === undefined ? {} : { spares: deps.logSpares }) });
  const readers = [openReader(spec.fifos.stdout)];
  if (spec.fifos.stderr !== undefined) readers.push(openReader(spec.fifos.stderr));
  return { writer, readers };
}
