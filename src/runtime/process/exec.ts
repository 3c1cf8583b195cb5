/**
 * Exec in a process container: a new child with the container's environment and working
 * directory (there is no namespace to enter), in its own process group so a timeout or a
 * cancelled session kills everything it started. With tty the command runs under util-linux's
 * `script`, which gives it a pseudo-terminal; the terminal keeps its initial size because
 * resizing needs the pty's fd, which script does not expose (a documented limit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable, type Readable } from 'node:stream';
import type { Clock } from '../../base/clock.js';
import { resolveExecutable } from './argv.js';
import { exitCodeOf } from './container-process.js';
import { isExecutableFile } from './images.js';
import type { ContainerRecord } from './state-store.js';

/** ExecIo is the streams of one exec; absent ones are not connected. */
export interface ExecIo {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
}

/** envOf turns a record's env entries into a process env. */
export function envOf(record: ContainerRecord): Record<string, string> {
  return Object.fromEntries(record.env.map((e) => [e.key, e.value]));
}

/** shellQuote quotes argv for `script -c`, which runs its command through $SHELL -c. */
export function shellQuote(argv: readonly string[]): string {
  const quote = (a: string): string => `'${a.replaceAll("'", "'\\''")}'`;
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : quote(a))).join(' ');
}

/** ExecStartError: the command could not start (not found, not executable). */
export class ExecStartError extends Error {
  override name = 'ExecStartError';
}

/**
 * startExec spawns cmd in the container's environment. Throws ExecStartError when cmd[0]
 * cannot be found on the container's PATH.
 */
export function startExec(
  record: ContainerRecord,
  cmd: readonly string[],
  tty: boolean,
): ChildProcess {
  const env = envOf(record);
  const found = resolveExecutable(cmd[0] ?? '', env.PATH, record.cwd, isExecutableFile);
  if ('error' in found) {
    throw new ExecStartError(`OCI runtime exec failed: exec failed: unable to start container ` +
      `process: ${found.error}`);
  }
  const argv = [found.path, ...cmd.slice(1)];
  const [file, args] = tty
    ? ['script', ['-qfec', shellQuote(argv), '/dev/null']]
    : [found.path, cmd.slice(1)];
  return spawn(file, args, {
    argv0: tty ? 'script' : cmd[0], cwd: record.cwd, env: { ...env, SHELL: '/bin/sh' },
    detached: true, stdio: ['pipe', 'pipe', tty ? 'ignore' : 'pipe'],
  });
}

/** killTree kills an exec's process group (it may have forked). */
export function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * runExec connects io to a started exec and resolves with its exit code (a signal n gives
 * 128 + n) once it ended and its output was handed on. Aborting kills it.
 */
export function runExec(child: ChildProcess, io: ExecIo, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => killTree(child);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    child.stdin?.on('error', () => undefined);
    if (io.stdin !== undefined && child.stdin) io.stdin.pipe(child.stdin);
    else child.stdin?.end();
    if (io.stdout !== undefined) child.stdout?.pipe(io.stdout, { end: false });
    else child.stdout?.resume();
    if (io.stderr !== undefined) child.stderr?.pipe(io.stderr, { end: false });
    else child.stderr?.resume();
    child.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.once('close', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      if (io.stdin !== undefined && child.stdin) io.stdin.unpipe(child.stdin);
      resolve(exitCodeOf(code, sig));
    });
  });
}

/** Output ExecSync keeps per stream; more is dropped (the kubelet keeps far less of a probe's). */
export const EXEC_SYNC_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** CollectingWritable gathers output up to a byte limit. */
class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    const room = EXEC_SYNC_MAX_OUTPUT_BYTES - this.size;
    if (room > 0) {
      const kept = chunk.subarray(0, room);
      this.chunks.push(kept);
      this.size += kept.length;
    }
    done();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** ExecSyncOutcome is ExecSync's answer, or a timeout. */
export type ExecSyncOutcome =
  | { kind: 'done'; exitCode: number; stdout: Buffer; stderr: Buffer }
  | { kind: 'timeout' };

/**
 * execSyncCollect runs a started exec to completion with empty stdin, collecting its output.
 * timeoutMs 0 waits forever; a timeout kills the exec's group and reports it.
 */
export async function execSyncCollect(
  child: ChildProcess, timeoutMs: number, clock: Clock,
): Promise<ExecSyncOutcome> {
  const stdout = new Collector();
  const stderr = new Collector();
  const abort = new AbortController();
  let timedOut = false;
  const timer = timeoutMs > 0
    ? clock.setTimeout(() => { timedOut = true; abort.abort(); }, timeoutMs) : undefined;
  try {
    const exitCode = await runExec(child, { stdout, stderr, tty: false }, abort.signal);
    if (timedOut) return { kind: 'timeout' };
    return { kind: 'done', exitCode, stdout: stdout.bytes, stderr: stderr.bytes };
  } finally {
    timer?.cancel();
  }
}
