/**
 * Runs the host tools the in-house runtimes drive (ip, unshare, mount, runc, ctr), never through a
 * shell, and turns a failure into an error carrying the tool's own stderr, since that text is what
 * explains a failed network, container or import step. runCommand reports the exit code as a
 * value so callers decide what "already exists" or "not found" means for them; run throws.
 * Output is bounded so a chatty tool cannot grow the runtime's memory.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** The most output kept from one command, per stream. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** CommandResult is a finished command's exit code and output. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** CommandOptions: text on stdin, extra environment, working directory, a timeout after which
 *  it is killed. */
export interface CommandOptions {
  input?: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

/** CommandError is a non-zero exit: its message is the command and the tool's stderr. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly argv: readonly string[],
    readonly result: CommandResult,
  ) {
    const detail = (result.stderr || result.stdout).trim();
    super(`${argv.join(' ')}: exit ${result.code}${detail ? `: ${detail}` : ''}`);
  }
}

/** runCommand runs argv to completion and reports its code without throwing on failure; it
 *  rejects only when the command cannot start at all (a missing binary is a setup error). */
export function runCommand(
  argv: readonly string[],
  opts: CommandOptions = {},
): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      cwd: opts.cwd,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      if (into.reduce((n, b) => n + b.length, 0) < MAX_OUTPUT_BYTES) into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 + signalNumber(signal) : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** run runs argv and throws CommandError unless it exits 0; resolves with stdout. */
export async function run(
  argv: readonly string[],
  opts: CommandOptions = {},
): Promise<string> {
  const result = await runCommand(argv, opts);
  if (result.code !== 0) throw new CommandError(argv, result);
  return result.stdout;
}

/** signalNumber maps a signal name to its number (128 + n is the shell's exit code). */
function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 1;
}
