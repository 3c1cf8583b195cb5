/**
 * Spawner: container main processes started by a small long-lived helper process
 * (spawner-helper.ts) instead of by the runtime itself. In a burst of pod starts the runtime's
 * own spawns were most of its event loop's busy time: Node's spawn forks the whole ~120 MiB
 * runtime (page tables copied: ~1.8 ms of CPU) and then blocks until the child has exec'd,
 * which on a loaded node is 4–25 ms per container while every other CRI call waits (profiled:
 * 60 % of the runtime's main thread in a 50-pod start). The helper pays a smaller fork and
 * its waits block only itself.
 *
 * The helper is the containers' parent, so it sees their exits and reports them (exit code or
 * signal, as Node's 'exit' event gives them). It dies with the runtime (its IPC channel
 * closes); the containers keep running in their own process groups, as before, and a runtime
 * started again adopts them. Should the helper die while the runtime lives, every container it
 * started is reported `lost` (its exit status went with the helper; the caller watches /proc
 * instead) and the next spawn starts a new helper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { assert } from '../../base/assert.js';
import { SPAWNER_HELPER_SOURCE } from './spawner-helper.js';

/** What to run: argv split as spawn() takes it, and the FIFOs for stdout and stderr. */
export interface SpawnRequest {
  file: string;
  args: string[];
  argv0: string;
  cwd: string;
  env: Record<string, string>;
  stdout: string;
  /** Absent: stderr goes to stdout's pipe (a tty container has one stream). */
  stderr: string | undefined;
}

/** How a spawned process ended; lost: the helper died first, so nobody knows. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  lost: boolean;
}

/** A started process: its pid, and its end. */
export interface Spawned {
  pid: number;
  exited: Promise<ChildExit>;
}

/** Spawns waiting for the helper's answer at once; more are refused (a bound on the queue). */
export const SPAWNS_IN_FLIGHT_MAX = 1024;
/** Live processes whose exit the spawner waits for (a node runs at most a few hundred). */
export const TRACKED_MAX = 65_536;

interface Call {
  spawned?: (s: Spawned) => void;
  failed?: (e: Error) => void;
  exit: (e: ChildExit) => void;
  exited: Promise<ChildExit>;
  /** A mkfifo request's answer (no process to track afterwards). */
  made?: () => void;
}

type HelperMessage =
  | { t: 'made'; id: number }
  | { t: 'spawned'; id: number; pid: number }
  | { t: 'failed'; id: number; message: string; code?: string }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

/** Spawner — see the file comment. */
export class Spawner {
  private helper: ChildProcess | undefined;
  private readonly calls = new Map<number, Call>();
  private inFlight = 0;
  private nextId = 1;
  private closed = false;
  private wanted = false;

  /** start launches the helper now, so the first container does not wait for it. */
  start(): void {
    if (this.closed) return;
    this.wanted = true;
    this.ensureHelper();
  }

  /** started: start() was called and the spawner is not closed (a helper that died is started
   *  again by the next spawn). */
  get started(): boolean {
    return this.wanted && !this.closed;
  }

  /** waiting: spawns sent to the helper and not answered yet. */
  get waiting(): number {
    return this.inFlight;
  }

  /** spawn starts one process; rejects (with the OS's code, e.g. ENOENT) if it cannot start. */
  spawn(req: SpawnRequest): Promise<Spawned> {
    if (this.closed) return Promise.reject(new Error('container spawner closed'));
    if (this.inFlight >= SPAWNS_IN_FLIGHT_MAX || this.calls.size >= TRACKED_MAX) {
      return Promise.reject(new Error('container spawner: too many spawns at once'));
    }
    const helper = this.ensureHelper();
    const id = this.nextId++;
    let exit!: (e: ChildExit) => void;
    const exited = new Promise<ChildExit>((resolve) => { exit = resolve; });
    return new Promise<Spawned>((resolve, reject) => {
      this.calls.set(id, { spawned: resolve, failed: reject, exit, exited });
      this.setInFlight(this.inFlight + 1);
      try {
        helper.send({ id, ...req });
      } catch (e) {
        this.calls.delete(id);
        this.setInFlight(this.inFlight - 1);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /**
   * mkfifo makes FIFOs (mode 0600) at paths with one mkfifo(1) run forked by the helper: a fork
   * of the runtime blocks its event loop until the child has exec'd (fifo-pool.ts batches are
   * made during bursts; 0.7 ms of the runtime's main thread per pod in a 100-pod round, load 7).
   */
  mkfifo(paths: readonly string[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('container spawner closed'));
    if (this.inFlight >= SPAWNS_IN_FLIGHT_MAX) {
      return Promise.reject(new Error('container spawner: too many requests at once'));
    }
    const helper = this.ensureHelper();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.calls.set(id, { made: resolve, failed: reject, exit: () => undefined,
        exited: Promise.resolve({ code: null, signal: null, lost: true }) });
      this.setInFlight(this.inFlight + 1);
      try {
        helper.send({ id, mkfifo: paths });
      } catch (e) {
        this.calls.delete(id);
        this.setInFlight(this.inFlight - 1);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** close lets the helper go (it exits; the containers keep running). */
  close(): void {
    this.closed = true;
    const helper = this.helper;
    this.helper = undefined;
    if (helper?.connected === true) helper.disconnect();
    this.failAll('container spawner closed');
  }

  private ensureHelper(): ChildProcess {
    if (this.helper !== undefined) return this.helper;
    const env = { ...process.env };
    // Loaders and profilers meant for the runtime (--import tsx, hooks) are not the helper's.
    delete env.NODE_OPTIONS;
    const helper = spawn(process.execPath, ['-e', SPAWNER_HELPER_SOURCE], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env,
    });
    helper.on('message', (m: HelperMessage) => this.onMessage(m));
    helper.once('exit', () => {
      if (this.helper === helper) this.helper = undefined;
      this.failAll('container spawner exited');
    });
    helper.on('error', () => undefined); // reported through 'exit' or a failed send
    this.helper = helper;
    this.setInFlight(this.inFlight);
    return helper;
  }

  private onMessage(m: HelperMessage): void {
    const call = this.calls.get(m.id);
    if (call === undefined) return;
    if (m.t === 'exit') {
      this.calls.delete(m.id);
      call.exit({ code: m.code, signal: m.signal, lost: false });
      return;
    }
    if (call.made !== undefined) {
      this.calls.delete(m.id);
      this.setInFlight(this.inFlight - 1);
      if (m.t === 'failed') {
        call.failed?.(Object.assign(new Error(m.message), { code: m.code }));
      } else {
        call.made();
      }
      return;
    }
    const { spawned, failed } = call;
    if (spawned === undefined || failed === undefined || m.t === 'made') return;
    delete call.spawned;
    delete call.failed;
    this.setInFlight(this.inFlight - 1);
    if (m.t === 'spawned') {
      spawned({ pid: m.pid, exited: call.exited });
      return;
    }
    this.calls.delete(m.id);
    failed(Object.assign(new Error(m.message), { code: m.code }));
  }

  /** failAll ends every call: spawns not answered fail, started processes are lost. */
  private failAll(why: string): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    this.setInFlight(0);
    for (const call of calls) {
      if (call.failed !== undefined) call.failed(new Error(why)); // a spawn or a mkfifo
      else call.exit({ code: null, signal: null, lost: true });
    }
  }

  /** setInFlight: the helper's IPC channel holds the event loop only while a spawn waits for
   *  its answer, so an idle helper never keeps a finished runtime alive. */
  private setInFlight(n: number): void {
    assert(n >= 0, 'spawner: negative spawns in flight');
    this.inFlight = n;
    const helper = this.helper;
    if (helper === undefined) return;
    if (n > 0) {
      helper.ref();
      helper.channel?.ref();
    } else {
      helper.unref();
      helper.channel?.unref();
    }
  }
}

/** SPAWNER_HELPERS: helpers a runtime runs (see SpawnerPool). */
export const SPAWNER_HELPERS = 3;

/**
 * SpawnerPool: a few helpers, each spawn on the one with the fewest spawns waiting. A helper's
 * event loop blocks in each fork until the child has exec'd — on a loaded node 5–9 ms per
 * container — so with one helper a burst's spawns waited for each other: 50 containers on one
 * node spent 170–430 ms (p50) in StartContainer's spawn step (burst timeline), 105–150 ms with
 * three. A helper is ~7 MiB of its own memory (the rest of its ~42 MiB RSS is Node's shared
 * text); all start together, when the runtime starts its spawner (after `up`'s busiest part).
 */
export class SpawnerPool {
  private readonly spawners: Spawner[];

  constructor(size = SPAWNER_HELPERS) {
    assert(Number.isInteger(size) && size > 0, `SpawnerPool: size must be > 0, got ${size}`);
    this.spawners = Array.from({ length: size }, () => new Spawner());
  }

  /** start launches every helper. */
  start(): void {
    for (const s of this.spawners) s.start();
  }

  /** started: as Spawner.started (they start and close together). */
  get started(): boolean {
    return this.spawners.every((s) => s.started);
  }

  /** spawn starts one process (see Spawner.spawn) on the helper with the fewest waiting. */
  spawn(req: SpawnRequest): Promise<Spawned> {
    return this.leastBusy().spawn(req);
  }

  /** mkfifo makes FIFOs through the helper with the fewest requests waiting (Spawner.mkfifo). */
  mkfifo(paths: readonly string[]): Promise<void> {
    return this.leastBusy().mkfifo(paths);
  }

  /** close lets every helper go (they exit; the containers keep running). */
  close(): void {
    for (const s of this.spawners) s.close();
  }

  private leastBusy(): Spawner {
    let best: Spawner | undefined;
    for (const s of this.spawners) if (best === undefined || s.waiting < best.waiting) best = s;
    assert(best !== undefined, 'SpawnerPool: no helper');
    return best;
  }
}
