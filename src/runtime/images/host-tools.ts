/**
 * The shell of the recipes: finding host tools (each named with the Debian package that
 * provides it, so a missing one is a one-line fix), running them with a bound on time and
 * output, and recognising static binaries (an image without libc can only hold those).
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../command.js';

/** A host command a recipe needs, and where it comes from. */
export interface HostTool {
  command: string;
  aptPackage: string;
}

/** MissingHostToolError says which command is missing and which apt package installs it. */
export class MissingHostToolError extends Error {
  override name = 'MissingHostToolError';
}

/** Directories searched besides $PATH (root's sbin dirs are often absent from a user's PATH). */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** findCommand returns the absolute path of an executable named command, or null. */
export function findCommand(command: string): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(':').filter((d) => d !== ''), ...EXTRA_DIRS];
  for (const d of dirs) {
    const p = join(d, command);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

/** requireTools resolves every tool or throws one error naming all missing packages. */
export function requireTools(image: string, tools: readonly HostTool[]): Map<string, string> {
  const found = new Map<string, string>();
  const missing: HostTool[] = [];
  for (const t of tools) {
    const p = findCommand(t.command);
    if (p === null) missing.push(t);
    else found.set(t.command, p);
  }
  if (missing.length > 0) {
    const list = missing.map((t) => `${t.command} (apt package ${t.aptPackage})`).join(', ');
    const pkgs = [...new Set(missing.map((t) => t.aptPackage))].join(' ');
    throw new MissingHostToolError(
      `building image ${image} needs ${list}; install with: apt-get install -y ${pkgs}`,
    );
  }
  return found;
}

/** Options of runTool. */
export interface RunOptions {
  cwd?: string;
  /** Default 120 s. */
  timeoutMs?: number;
}

/** runTool runs file with args and returns stdout; a failure's error carries the last lines of
 *  the tool's stderr (apt-get and dpkg explain themselves at the end). */
export async function runTool(
  file: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<string> {
  const what = `${file} ${args.join(' ')}`;
  const result = await runCommand([file, ...args], {
    cwd: opts.cwd,
    timeoutMs: opts.timeoutMs ?? 120_000,
  }).catch((err: unknown) => {
    throw new Error(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  });
  if (result.code !== 0) {
    const detail = result.stderr.trim().split('\n').slice(-5).join('\n');
    throw new Error(`${what} failed: exit ${result.code}\n${detail}`);
  }
  return result.stdout;
}

const PT_INTERP = 3;

/**
 * isStaticElf says whether buf is a 64-bit little-endian ELF without a PT_INTERP program header,
 * i.e. it runs without a dynamic loader (Debian's busybox-static, not the dynamic busybox).
 */
export function isStaticElf(buf: Buffer): boolean {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) return false;
  if (buf[4] !== 2 || buf[5] !== 1) return false;
  const phoff = Number(buf.readBigUInt64LE(32));
  const phentsize = buf.readUInt16LE(54);
  const phnum = buf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > buf.length) return false;
    if (buf.readUInt32LE(off) === PT_INTERP) return false;
  }
  return true;
}
