/**
 * Starting a container under conmon, CRI-O's per-container monitor (§3 step 4 of the runtime
 * study): conmon runs `runc create`, then stays as the container's parent, writes the CRI-format
 * log at the log path and the exit code to <exitDir>/<id>. It outlives the runtime, so a
 * restarted runtime still learns exit codes (P11: `runc state` never reports one).
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../base/clock.js';
import { hostTools, type ToolResult } from './spawner.js';

/** The conmon binary (Debian's). */
export const CONMON_BINARY = '/usr/bin/conmon';

/** The shell conmon runs the run wrapper (run-wrapper.ts) with. */
const SHELL = '/bin/sh';

/** The longest conmon may take to report the container's pid before create counts as failed. */
const SYNC_TIMEOUT_MS = 30_000;

/** ConmonOptions says where everything of one container lives. */
export interface ConmonOptions {
  id: string;
  name: string;
  bundle: string;
  runcRoot: string;
  /** The run wrapper script (run-wrapper.ts) conmon runs with sh as its runtime; it execs runc. */
  runtimePath: string;
  logPath: string;
  exitDir: string;
  socketDir: string;
  stdin: boolean;
  tty: boolean;
}

/** conmonArgv is the command line (pure, so tests can check it). */
export function conmonArgv(o: ConmonOptions): string[] {
  const argv = [
    CONMON_BINARY, '--api-version', '1', '-c', o.id, '-u', o.id, '-n', o.name,
    // sh reads the wrapper as a script argument, so it runs from a noexec state directory too.
    '-r', SHELL, '--runtime-arg', o.runtimePath, '--runtime-arg', `--root=${o.runcRoot}`,
    '-b', o.bundle,
    '-p', join(o.bundle, 'pid'), '-P', join(o.bundle, 'conmon.pid'),
    '-l', `k8s-file:${o.logPath}`, '--exit-dir', o.exitDir, '--socket-dir-path', o.socketDir,
    '--log-level', 'error', '--syslog',
  ];
  if (o.stdin) argv.push('-i');
  if (o.tty) argv.push('-t');
  return argv;
}

/** parseSyncMessage reads conmon's {"data": pid} (or a negative data with "message"). */
export function parseSyncMessage(text: string): { pid: number } | { error: string } {
  const parsed = JSON.parse(text) as { data?: number; message?: string };
  if (typeof parsed.data === 'number' && parsed.data > 0) return { pid: parsed.data };
  return { error: parsed.message ?? `conmon reported ${String(parsed.data)}` };
}

/**
 * createUnderConmon starts conmon (which double-forks and runs the runtime's `create`, i.e.
 * `runc run --detach` through the run wrapper) and resolves with the container's pid once conmon
 * reports it on the sync pipe: the container's process is running by then.
 * conmon starts through the host tool helper (spawner.ts), or directly without it.
 */
export async function createUnderConmon(o: ConmonOptions, clock: Clock): Promise<number> {
  const argv = conmonArgv(o);
  // conmon drops an `oom` marker file in its working directory when the container is
  // OOM-killed: keep it in the bundle, never in whatever directory the runtime started in.
  const errPath = join(o.bundle, 'conmon.stderr');
  const result = await hostTools.runSynced(argv, {
    cwd: o.bundle, env: { _OCI_SYNCPIPE: '3' }, detached: true, stderrPath: errPath,
    timeoutMs: SYNC_TIMEOUT_MS,
  }, () => spawnConmon(argv, o, clock));
  const end = result.sync.indexOf('}');
  if (end < 0) {
    throw new Error(result.code === 137 && result.sync === ''
      ? 'conmon did not report the container pid'
      : `conmon exited before reporting a pid${result.sync ? `: ${result.sync}` : ''}`);
  }
  const message = parseSyncMessage(result.sync.slice(0, end + 1));
  if ('pid' in message) return message.pid;
  throw new Error(message.error);
}

/** spawnConmon starts conmon from this process and returns its sync message's text (code 137
 *  when none came in time, as the helper reports it). */
async function spawnConmon(argv: string[], o: ConmonOptions, clock: Clock): Promise<ToolResult> {
  const errLog = await open(join(o.bundle, 'conmon.stderr'), 'a');
  const [file, ...args] = argv;
  try {
    const child = spawn(file as string, args, {
      cwd: o.bundle,
      stdio: ['ignore', 'ignore', errLog.fd, 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
      detached: true,
    });
    child.unref();
    const { text, timedOut } = await readSync(child.stdio[3] as SyncPipe, clock);
    return { code: timedOut ? 137 : 0, stdout: '', stderr: '', sync: text };
  } finally {
    await errLog.close();
  }
}

/** SyncPipe is the read end of conmon's fd 3. */
type SyncPipe = NodeJS.ReadableStream & { destroy(): void };

/** readSync collects the sync pipe until a complete JSON object or EOF (bounded in time). */
function readSync(pipe: SyncPipe, clock: Clock): Promise<{ text: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    const finish = (timedOut: boolean): void => {
      timer.cancel();
      pipe.removeAllListeners('data');
      pipe.destroy();
      resolve({ text, timedOut });
    };
    const timer = clock.setTimeout(() => finish(true), SYNC_TIMEOUT_MS);
    pipe.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('}')) finish(false);
    });
    pipe.on('error', () => finish(false));
    pipe.on('end', () => finish(false));
  });
}
