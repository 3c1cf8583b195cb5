/**
 * What a containerd instance leaves outside its state dir (pitfall P5), found and removed by
 * pid and by name, never by pattern-killing: its shims (their argv names our socket), libcni's
 * result cache files of our network, and /run/containerd once no containerd runs at all.
 */
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Where containerd 1.6 puts shim sockets whatever its config says. */
export const RUN_CONTAINERD_DIR = '/run/containerd';

/** libcni's cache of ADD results, one file per network, container and interface. */
export const CNI_RESULTS_DIR = '/var/lib/cni/results';

/** argvOf is a live process's argv, or undefined when it is gone or unreadable. */
export async function argvOf(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/** processes lists every live pid with its argv. */
async function processes(): Promise<{ pid: number; argv: string[] }[]> {
  const out: { pid: number; argv: string[] }[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const argv = await argvOf(Number(name));
    if (argv !== undefined && argv.length > 0) out.push({ pid: Number(name), argv });
  }
  return out;
}

/** shimPidsOf lists the containerd-shim processes serving the containerd at socketPath. */
export async function shimPidsOf(socketPath: string): Promise<number[]> {
  return (await processes())
    .filter((p) => basename(p.argv[0] ?? '').startsWith('containerd-shim'))
    .filter((p) => p.argv.includes(socketPath))
    .map((p) => p.pid);
}

/** anyContainerdRunning tells whether any containerd or shim runs on the host (ours or not). */
export async function anyContainerdRunning(): Promise<boolean> {
  return (await processes()).some((p) => {
    const exe = basename(p.argv[0] ?? '');
    return exe === 'containerd' || exe.startsWith('containerd-shim');
  });
}

/** removeRunContainerdIfIdle removes /run/containerd when nothing could still be using it. */
export async function removeRunContainerdIfIdle(): Promise<boolean> {
  if (await anyContainerdRunning()) return false;
  await rm(RUN_CONTAINERD_DIR, { recursive: true, force: true });
  return true;
}

/** removeCniResults deletes libcni's cached results of network (files "<network>-<id>-<if>"). */
export async function removeCniResults(network: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(CNI_RESULTS_DIR);
  } catch {
    return 0;
  }
  const ours = names.filter((n) => n.startsWith(`${network}-`));
  for (const n of ours) await rm(join(CNI_RESULTS_DIR, n), { force: true });
  // libcni made these directories on first use; drop them once nobody has entries there.
  for (const d of [CNI_RESULTS_DIR, dirname(CNI_RESULTS_DIR)]) {
    await rmdir(d).catch(() => undefined);
  }
  return ours.length;
}
