/**
 * ToolSpawner runs the runc runtime's host tools (ip, unshare, nsenter, mount, umount, runc)
 * through one small long-lived Perl helper (spawner-script.ts) instead of forking the runtime's
 * large Node process for each: libuv's spawn blocks the event loop until the child has exec'd
 * (fork of a big address space, then the child waiting for a CPU), and under a pod burst that
 * serialised the whole runtime. Requests and replies are framed on the helper's stdin/stdout.
 * At most maxInFlight tools run at once, so a burst of pods does not thrash 2 cores; the rest
 * wait in a bounded queue. Results are those of src/runtime/command.ts (exit code as a value,
 * 128 + signal when killed, output capped), and without perl every call falls back to it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type Clock, systemClock, type Timer } from '../../base/clock.js';
import { CommandError, type CommandOptions, type CommandResult, runCommand } from '../command.js';
import { SPAWNER_SCRIPT } from './spawner-script.js';

/** The most stdin one request carries: the helper writes it into the tool's pipe before the
 *  tool reads, so it must fit the pipe buffer (64 KiB); bigger inputs spawn directly. */
const MAX_INPUT_BYTES = 32 * 1024;

/** Tools running at once by default (measured: see the runtime's README). */
export const DEFAULT_TOOL_PARALLELISM = 8;

/** Requests waiting for a slot at most; beyond, a call fails rather than queue unboundedly. */
const MAX_QUEUED = 4096;

/** Exit code the helper reports when the tool could not be started at all. */
const NOT_STARTED = 127;

/** ToolOptions: runCommand's options, plus what starting conmon needs. */
export interface ToolOptions extends CommandOptions {
  /** Run in a new session (setsid), as a daemon's first process. */
  detached?: boolean;
  /** Give the tool a pipe as fd 3 and answer once a JSON object arrived on it (conmon). */
  syncPipe?: boolean;
  /** Append the tool's stderr to this file instead of capturing it. */
  stderrPath?: string;
  /** Run the tool in a new network namespace bound at this (existing, empty) file, as
   *  `unshare --net=FILE argv` does, without the unshare exec. */
  netnsPath?: string;
  /** argv is a system call the helper makes itself ("mount"/"umount2" and its arguments),
   *  no process at all (see spawner-script.ts). */
  syscall?: boolean;
}

/** ToolResult is a finished (or, with syncPipe, synced) tool: runCommand's result plus what
 *  arrived on the sync pipe. */
export interface ToolResult extends CommandResult {
  sync: string;
}

/** A request sent to the helper and not answered yet. */
interface Pending {
  resolve(result: ToolResult): void;
  reject(err: Error): void;
  timer: Timer | undefined;
}

/** Node's names of the machines whose system call numbers the helper knows. */
const SYSCALL_MACHINES = new Set(['x64', 'arm64']);

/** MNT_DETACH from <sys/mount.h> (umount -l). */
const MNT_DETACH = 2;

/** encodeRequest frames one request (see the protocol in spawner-script.ts). */
export function encodeRequest(id: number, argv: readonly string[], o: ToolOptions): Buffer {
  if (o.syscall) {
    const args = argv.map((a) => Buffer.from(a));
    return Buffer.concat([Buffer.from(`S ${id} ${args.length} ${args.map((a) => a.length)
      .join(' ')}\n`), ...args]);
  }
  const env = Object.entries(o.env ?? {}).map(([k, v]) => Buffer.from(`${k}=${v}`));
  const parts = [...env, ...argv.map((a) => Buffer.from(a))];
  const input = Buffer.from(o.input ?? '');
  const cwd = Buffer.from(o.cwd ?? '');
  const errPath = Buffer.from(o.stderrPath ?? '');
  const netns = Buffer.from(o.netnsPath ?? '');
  const header = ['R', id, o.detached ? 1 : 0, o.syncPipe ? 1 : 0, env.length, argv.length,
    input.length, cwd.length, errPath.length, netns.length, ...parts.map((p) => p.length)]
    .join(' ');
  return Buffer.concat([Buffer.from(`${header}\n`), ...parts, input, cwd, errPath, netns]);
}

/** Reply is one decoded answer of the helper. */
export interface Reply {
  id: number;
  result: ToolResult;
}

/** decodeReplies takes every complete reply off the front of buf; returns them and the rest. */
export function decodeReplies(buf: Buffer): { replies: Reply[]; rest: Buffer } {
  const replies: Reply[] = [];
  let at = 0;
  for (;;) {
    const nl = buf.indexOf(10, at);
    if (nl < 0) break;
    const [id, code, outLen, errLen, syncLen] = buf.subarray(at, nl).toString().split(' ')
      .map(Number) as [number, number, number, number, number];
    const end = nl + 1 + outLen + errLen + syncLen;
    if (buf.length < end) break;
    const out = buf.subarray(nl + 1, nl + 1 + outLen).toString('utf8');
    const err = buf.subarray(nl + 1 + outLen, nl + 1 + outLen + errLen).toString('utf8');
    const sync = buf.subarray(nl + 1 + outLen + errLen, end).toString('utf8');
    replies.push({ id, result: { code, stdout: out, stderr: err, sync } });
    at = end;
  }
  return { replies, rest: buf.subarray(at) };
}

/** ToolSpawner owns the helper process; see the file comment. */
export class ToolSpawner {
  private child: ChildProcess | undefined;
  private unavailable = false;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private nextId = 1;

  constructor(
    readonly maxInFlight = DEFAULT_TOOL_PARALLELISM,
    private readonly clock: Clock = systemClock,
  ) {}

  /** runCommand's contract: the exit code as a value; rejects only when nothing could run. */
  async run(argv: readonly string[], o: CommandOptions = {}): Promise<CommandResult> {
    return this.runTool(argv, o, () => runCommand(argv, o));
  }

  /**
   * runInNewNetns runs argv in a new network namespace bound at path (an existing empty
   * file): the helper's child unshares and binds it before exec, or `unshare --net=path`.
   */
  runInNewNetns(path: string, argv: readonly string[], o: CommandOptions = {}):
    Promise<CommandResult> {
    const viaUnshare = ['unshare', `--net=${path}`, ...argv];
    if (!SYSCALL_MACHINES.has(process.arch)) return this.run(viaUnshare, o);
    return this.runTool(argv, { ...o, netnsPath: path }, () => runCommand(viaUnshare, o));
  }

  /**
   * syscall has the helper make one system call itself (call: name and arguments, see
   * spawner-script.ts); tool is the command doing the same, run where the helper cannot
   * (no perl, a machine without its numbers). Failures are results, as runCommand's.
   */
  async syscall(call: readonly string[], tool: readonly string[], o: CommandOptions = {}):
    Promise<CommandResult> {
    if (!SYSCALL_MACHINES.has(process.arch)) return this.run(tool, o);
    const result = await this.runTool(call, { ...o, syscall: true }, () => runCommand(tool, o));
    return result.code === NOT_STARTED ? this.run(tool, o) : result;
  }

  /**
   * runSynced starts a tool that reports on a sync pipe (conmon): resolves with what arrived
   * there; without the helper, direct() does the same with a plain spawn.
   */
  runSynced(argv: readonly string[], o: ToolOptions, direct: () => Promise<ToolResult>):
    Promise<ToolResult> {
    return this.runTool(argv, { ...o, syncPipe: true }, direct);
  }

  private async runTool<T extends CommandResult>(argv: readonly string[], o: ToolOptions,
    direct: () => Promise<T>): Promise<T | ToolResult> {
    if (this.waiting.length >= MAX_QUEUED) throw new Error('too many host tools queued');
    if (this.active >= this.maxInFlight) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.active++;
    try {
      if (this.unavailable || Buffer.byteLength(o.input ?? '') > MAX_INPUT_BYTES) {
        return await direct();
      }
      return await this.request(argv, o).catch((err: unknown) => {
        if (this.unavailable) return direct(); // no perl: the request never ran
        throw err;
      });
    } finally {
      this.active--;
      this.waiting.shift()?.();
      this.setRef(this.pending.size > 0);
    }
  }

  /** close ends the helper (tools it started keep running; conmon never goes through it). */
  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }

  private request(argv: readonly string[], o: ToolOptions): Promise<ToolResult> {
    const child = this.helper();
    const id = this.nextId++;
    return new Promise<ToolResult>((resolve, reject) => {
      const timer = o.timeoutMs === undefined ? undefined
        : this.clock.setTimeout(() => child.stdin?.write(`K ${id}\n`), o.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.setRef(true);
      child.stdin?.write(encodeRequest(id, argv, o));
    }).then(async (result) => {
      // Spawn failures (perl present, tool missing) reject like runCommand's spawn error.
      if (result.code === NOT_STARTED && /^exec .*: /.test(result.stderr)) {
        throw new Error(result.stderr.trim());
      }
      return result;
    });
  }

  private helper(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn('perl', ['-e', SPAWNER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    this.buffer = Buffer.alloc(0);
    child.stdout?.on('data', (chunk: Buffer) => this.onData(chunk));
    child.stdin?.on('error', () => undefined);
    child.on('error', (err) => this.onGone(child, err));
    child.on('exit', () => this.onGone(child, new Error('the host tool helper exited')));
    return child;
  }

  private onData(chunk: Buffer): void {
    const { replies, rest } = decodeReplies(Buffer.concat([this.buffer, chunk]));
    this.buffer = rest;
    for (const { id, result } of replies) {
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      p.timer?.cancel();
      p.resolve(result);
    }
  }

  /** onGone fails what was in flight; a helper that never started (no perl) turns the
   *  spawner into plain spawns from then on. */
  private onGone(child: ChildProcess, err: Error): void {
    if (this.child !== child) return;
    this.child = undefined;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.unavailable = true;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.timer?.cancel();
      p.reject(new Error(`host tool helper failed: ${err.message}`));
    }
  }

  /** setRef keeps the process alive only while tools are in flight. */
  private setRef(on: boolean): void {
    const c = this.child;
    if (!c) return;
    const streams = [c.stdin, c.stdout] as unknown as { ref(): void; unref(): void }[];
    for (const s of streams) {
      if (on) s.ref();
      else s.unref();
    }
    if (on) c.ref();
    else c.unref();
  }
}

/** The runtime's one spawner (one helper per process, shared by every runc runtime in it). */
export const hostTools = new ToolSpawner();

/** runTool is runCommand through the helper. */
export function runTool(argv: readonly string[], o: CommandOptions = {}):
  Promise<CommandResult> {
  return hostTools.run(argv, o);
}

/** mountFs mounts without mount(8): mount(2) by the helper (an overlay cost ~2.5 ms of CPU
 *  less per container, measured); throws what failed. */
export async function mountFs(source: string, target: string, fstype: string, data: string):
  Promise<void> {
  const tool = ['mount', '-t', fstype, '-o', data, source, target];
  // mount(2) takes at most a page of options; mount(8) has the newer API for longer ones.
  const result = Buffer.byteLength(data) >= 4096 ? await runTool(tool)
    : await hostTools.syscall(['mount', source, target, fstype, '0', data], tool);
  if (result.code !== 0) throw new CommandError(tool, result);
}

/** unmountDetached lazily unmounts target: umount2(MNT_DETACH) by the helper, else
 *  `umount -l`; failures are results (the caller checks what is still mounted). */
export function unmountDetached(target: string, o: CommandOptions = {}): Promise<CommandResult> {
  return hostTools.syscall(['umount2', target, String(MNT_DETACH)], ['umount', '-l', target], o);
}

/** runToolOk is run (throws CommandError unless exit 0) through the helper. */
export async function runToolOk(argv: readonly string[], o: CommandOptions = {}):
  Promise<string> {
  const result = await runTool(argv, o);
  if (result.code !== 0) throw new CommandError(argv, result);
  return result.stdout;
}
