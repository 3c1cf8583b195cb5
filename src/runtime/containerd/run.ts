/**
 * runCommand: one host command (ip, ctr) with bounded time and output, never a shell. Failures
 * come back as values so callers decide what "already exists" means for them.
 */
import { execFile } from 'node:child_process';

/** A finished command: its exit code (-1 when it could not run or timed out) and output. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Output kept from one command; ctr and ip print little. */
export const MAX_COMMAND_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Default bound on one command (an image import of a large archive takes seconds). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;

/** runCommand runs argv[0] with argv[1..]; it never rejects. */
export function runCommand(
  argv: readonly string[],
  timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.resolve({ code: -1, stdout: '', stderr: 'empty argv' });
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: MAX_COMMAND_OUTPUT_BYTES, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr });
        const code = typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout: stdout ?? '', stderr: stderr || err.message });
      },
    );
  });
}

/** mustRun runs argv and throws with its stderr when it fails. */
export async function mustRun(argv: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await runCommand(argv, timeoutMs);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}
