/**
 * What StartContainer verifies before it spawns, so that a container that cannot work fails its
 * start with a clear message (reason StartError, exit code 128, as containerd reports a failed
 * start) instead of crashing and restarting forever: the executable exists, the working
 * directory exists, no declared port is below the unprivileged limit without root, and no
 * declared port is already taken on the pod's address.
 */
import { statSync } from 'node:fs';
import { resolveExecutable } from './argv.js';
import { envOf } from './exec.js';
import { isExecutableFile } from './images.js';
import { lowPortError, probeTcpPort, unprivilegedPortStart } from './ports.js';
import type { ContainerRecord, SandboxRecord } from './state-store.js';

/** The outcome of the checks: the argv to spawn (argv[0] resolved), or why it cannot start. */
export type StartPlan = { argv: string[] } | { error: string };

/**
 * checkStart runs the checks. probePorts is false while another container of the pod runs:
 * the kubelet declares all of a pod's ports on the sandbox, so a sibling's own listener would
 * look like a clash; then only the early-exit log check (ports.ts) catches a real one.
 */
export async function checkStart(
  record: ContainerRecord, sandbox: SandboxRecord, probePorts: boolean,
): Promise<StartPlan> {
  const argv0 = record.argv[0] ?? '';
  const found = resolveExecutable(argv0, envOf(record).PATH, record.cwd, isExecutableFile);
  if ('error' in found) return { error: runcWords(found.error) };
  if (!isDirectory(record.cwd)) {
    return { error: runcWords(`chdir to cwd ("${record.cwd}") set in config.json failed: ` +
      'no such file or directory') };
  }
  // The limit is read only for a pod that declares ports (a /proc read per start otherwise).
  const uid = process.getuid?.() ?? 0;
  const start = sandbox.ports.length > 0 ? unprivilegedPortStart() : 0;
  for (const p of sandbox.ports) {
    const low = lowPortError(p.containerPort, uid, start);
    if (low !== undefined) return { error: low };
  }
  // A hostNetwork pod (no address of its own) shares ports with every pod's loopback address:
  // a probe would find their listeners, so only the early-exit output check applies to it.
  if (probePorts && sandbox.ip !== '') {
    for (const p of sandbox.ports) {
      if (p.protocol !== 'TCP' || p.containerPort <= 0) continue;
      const clash = await probeTcpPort(sandbox.ip, p.containerPort);
      if (clash !== undefined) return { error: clash };
    }
  }
  return { argv: [found.path, ...record.argv.slice(1)] };
}

/** runcWords phrases an exec failure in the words runc ends its own with, which users know. */
function runcWords(what: string): string {
  return `failed to start container process: ${what}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
