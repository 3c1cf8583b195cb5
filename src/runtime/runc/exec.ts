/**
 * Running commands in containers. Without a terminal: `runc exec --process <spec>` with the
 * container's own user, env, cwd and capabilities, stdio on pipes, exit code from runc. With a
 * terminal: runc's -t needs a --console-socket that receives the pty master by SCM_RIGHTS, which
 * Node cannot do, and plain `runc exec` under a pty relays through pipes (no tty inside). So a tty
 * exec runs under `script` (util-linux: allocates a pty, returns the child's exit code) and
 * enters the container with `nsenter` (all its namespaces, its root, uid/gid, env, cwd) after
 * joining its cgroups; the command then has the pty as its controlling terminal. Limitation:
 * such a command keeps root's capability set (nsenter cannot drop capabilities).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import * as cri from '../../kubelet/cri/types.js';
import type { StreamIo, TerminalSize } from '../streaming/types.js';
import { runCommand } from '../command.js';
import { getContainer, observeContainer } from './containers.js';
import type { RuncContext } from './context.js';
import type { OciSpec } from './oci-types.js';
import type { ContainerRecord } from './records.js';
import { execProcess, RUNC_BINARY } from './runc-cli.js';
import { CGROUP_CONTROLLERS } from './sandboxes.js';

/** The most ExecSync output kept per stream (exec probes print little). */
const MAX_EXEC_OUTPUT_BYTES = 16 * 1024 * 1024;

let execCounter = 0;

/** runningContainer returns the record of a RUNNING container or FAILED_PRECONDITION. */
export async function runningContainer(ctx: RuncContext, id: string): Promise<ContainerRecord> {
  const record = getContainer(ctx, id);
  const seen = await observeContainer(ctx, record);
  if (seen.state !== cri.ContainerState.CONTAINER_RUNNING) {
    throw cri.criPrecondition(`container ${record.id} is not in running state`);
  }
  return record;
}

/** readSpec reads the container's generated config.json. */
async function readSpec(ctx: RuncContext, id: string): Promise<OciSpec> {
  return JSON.parse(await readFile(join(ctx.records.containerDir(id), 'config.json'), 'utf8')) as
    OciSpec;
}

/** ExecFiles are the per-exec process spec and pid file, removed afterwards. */
interface ExecFiles {
  processFile: string;
  pidFile: string;
  cleanup(): Promise<void>;
}

/** writeExecFiles writes the exec's process spec next to the bundle. */
async function writeExecFiles(ctx: RuncContext, record: ContainerRecord, cmd: string[]):
  Promise<ExecFiles> {
  if (cmd.length === 0) throw cri.criInvalid('exec command must not be empty');
  const spec = await readSpec(ctx, record.id);
  const n = ++execCounter;
  const dir = ctx.records.containerDir(record.id);
  const processFile = join(dir, `exec-${n}.json`);
  const pidFile = join(dir, `exec-${n}.pid`);
  await writeFile(processFile, JSON.stringify(execProcess(spec.process, cmd, false)));
  return {
    processFile, pidFile,
    cleanup: async () => {
      await rm(processFile, { force: true });
      await rm(pidFile, { force: true });
    },
  };
}

/** killExec SIGKILLs the exec'd process (by its pid file) and the runc client. */
async function killExec(pidFile: string, child: ChildProcess): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  child.kill('SIGKILL');
}

/** spawnRuncExec starts `runc exec` for the files; stdio are pipes. */
function spawnRuncExec(ctx: RuncContext, id: string, files: ExecFiles): ChildProcess {
  const argv = ctx.runc.execArgv(id, files.processFile, ['--pid-file', files.pidFile]);
  return spawn(argv[0] ?? RUNC_BINARY, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** exitCodeOf waits for the child to close and returns its exit code (128+n for a signal). */
function exitCodeOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 128)));
  });
}

/** ExecSyncResult is the collected output and exit code. */
export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** execSync runs cmd to completion; past timeoutSec (0 = none) it is killed: DEADLINE_EXCEEDED. */
export async function execSync(ctx: RuncContext, id: string, cmd: string[], timeoutSec: number):
  Promise<ExecSyncResult> {
  const record = await runningContainer(ctx, id);
  const files = await writeExecFiles(ctx, record, cmd);
  try {
    const child = spawnRuncExec(ctx, record.id, files);
    child.stdin?.end();
    const out = collect(child.stdout);
    const err = collect(child.stderr);
    let timedOut = false;
    const timer = timeoutSec > 0
      ? ctx.clock.setTimeout(() => {
        timedOut = true;
        void killExec(files.pidFile, child);
      }, timeoutSec * 1000)
      : undefined;
    const exitCode = await exitCodeOf(child);
    timer?.cancel();
    if (timedOut) {
      throw new cri.CriError(status.DEADLINE_EXCEEDED,
        `command ${JSON.stringify(cmd)} timed out after ${timeoutSec}s`);
    }
    return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode };
  } finally {
    await files.cleanup();
  }
}

/** collect gathers a stream's chunks up to MAX_EXEC_OUTPUT_BYTES. */
function collect(stream: NodeJS.ReadableStream | null): Buffer[] {
  const chunks: Buffer[] = [];
  let size = 0;
  stream?.on('data', (chunk: Buffer) => {
    if (size >= MAX_EXEC_OUTPUT_BYTES) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  return chunks;
}

/** wireIo connects a child's stdio to the session's streams (never ending the session's). */
function wireIo(child: ChildProcess, io: StreamIo): void {
  if (io.stdin && child.stdin) {
    io.stdin.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
  } else {
    child.stdin?.end();
  }
  child.stdout?.on('data', (chunk: Buffer) => io.stdout?.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => (io.stderr ?? io.stdout)?.write(chunk));
}

/** streamExec runs cmd with the session's streams; resolves with the exit code. */
export async function streamExec(ctx: RuncContext, id: string, cmd: string[], io: StreamIo,
  signal: AbortSignal): Promise<number> {
  const record = await runningContainer(ctx, id);
  if (io.tty) return ttyExec(ctx, record, cmd, io, signal);
  const files = await writeExecFiles(ctx, record, cmd);
  try {
    const child = spawnRuncExec(ctx, record.id, files);
    wireIo(child, io);
    const onAbort = (): void => void killExec(files.pidFile, child);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await exitCodeOf(child);
    } finally {
      signal.removeEventListener('abort', onAbort);
      io.stdin?.unpipe();
    }
  } finally {
    await files.cleanup();
  }
}

/** shellQuote quotes one word for sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** ttyCommandLine is the host shell line `script` runs for a tty exec (pure). */
export function ttyCommandLine(spec: OciSpec, cgroupsPath: string, pid: number, cmd: string[]):
  string {
  const cgroups = CGROUP_CONTROLLERS.map((c) => shellQuote(`/sys/fs/cgroup/${c}${cgroupsPath}`));
  const env = [...spec.process.env.filter((e) => !e.startsWith('TERM=')), 'TERM=xterm'];
  const nsenter = ['env', '-i', ...env, 'nsenter', '-t', String(pid), '-m', '-u', '-i', '-n',
    '-p', '-r', `--wd=${spec.process.cwd}`, '-S', String(spec.process.user.uid),
    '-G', String(spec.process.user.gid), '--', ...cmd];
  return `for c in ${cgroups.join(' ')}; do [ -d "$c" ] && echo $$ > "$c/cgroup.procs"; done; ` +
    `exec ${nsenter.map(shellQuote).join(' ')}`;
}

/** ttyExec runs cmd on a pty (see the file comment); resizes go to the pty with stty. */
async function ttyExec(ctx: RuncContext, record: ContainerRecord, cmd: string[], io: StreamIo,
  signal: AbortSignal): Promise<number> {
  const state = await ctx.runc.state(record.id);
  if (!state || state.pid <= 0) throw cri.criPrecondition(`container ${record.id} has no process`);
  const line = ttyCommandLine(await readSpec(ctx, record.id), record.cgroupsPath, state.pid, cmd);
  const child = spawn('script', ['-qfec', line, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh' },
  });
  wireIo(child, { ...io, stderr: undefined });
  const onAbort = (): void => void child.kill('SIGKILL');
  signal.addEventListener('abort', onAbort, { once: true });
  const done = exitCodeOf(child);
  if (io.resizes && child.pid !== undefined) void applyResizes(child.pid, io.resizes, done);
  try {
    return await done;
  } finally {
    signal.removeEventListener('abort', onAbort);
    io.stdin?.unpipe();
  }
}

/** applyResizes sets each new size on the pty `script` allocated, until the exec ends. */
async function applyResizes(scriptPid: number, resizes: AsyncIterable<TerminalSize>,
  done: Promise<number>): Promise<void> {
  let ended = false;
  void done.finally(() => (ended = true));
  try {
    for await (const size of resizes) {
      if (ended) return;
      const pts = await ptyOf(scriptPid);
      if (pts) {
        await runCommand(['stty', '-F', pts, 'rows', String(size.height), 'cols',
          String(size.width)]);
      }
    }
  } catch {
    // the session ended while resizing
  }
}

/** ptyOf finds the pty slave of script's child (its stdin). */
async function ptyOf(scriptPid: number): Promise<string | undefined> {
  const children = await readFile(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8')
    .catch(() => '');
  for (const child of children.trim().split(/\s+/).filter(Boolean)) {
    const target = await readlink(`/proc/${child}/fd/0`).catch(() => '');
    if (target.startsWith('/dev/pts/')) return target;
  }
  return undefined;
}
