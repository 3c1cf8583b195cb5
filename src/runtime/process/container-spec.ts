/**
 * CreateContainer's decisions for the process runtime: what a container runs, with which
 * environment, in which directory, logging where. Pure apart from the image lookup passed in.
 *
 * Mounts. Without root there is no chroot or mount namespace, so a container sees the host's
 * filesystem and a CRI mount cannot appear at its container_path. The process runtime gives
 * every container a scratch root (K8TS_ROOT in its env) holding a symlink at each mount's
 * container_path to the mount's host_path, and makes the scratch root the default working
 * directory. So an app that opens "etc/config/key" relative to its working directory, or
 * "$K8TS_ROOT/etc/config/key", reads the mounted volume; one that opens "/etc/config/key" reads
 * the host's file. A working_dir inside a mount is mapped to the mount's host path. Read-only
 * mounts are not enforced. These are documented limits of a runtime that needs no root.
 */
import { join, posix } from 'node:path';
import { criInvalid } from '../../kubelet/cri/errors.js';
import type * as cri from '../../kubelet/cri/types.js';
import { mergeArgv, mergeEnv, type ImageProcessConfig } from './argv.js';
import type { ContainerRecord, MountRecord, SandboxRecord } from './state-store.js';

/** ROOT_ENV names the env var holding a container's scratch root. */
export const ROOT_ENV = 'K8TS_ROOT';

/** ResolvedImage is what the image store says about the container's image. */
export interface ResolvedImage {
  id: string;
  /** undefined: the image names no entrypoint (unknown to the catalogue). */
  config: ImageProcessConfig | undefined;
}

/** mapContainerPath maps an in-container path to the host path a mount gives it, or itself. */
export function mapContainerPath(path: string, mounts: readonly MountRecord[]): string {
  let best: MountRecord | undefined;
  for (const m of mounts) {
    const base = posix.normalize(m.containerPath).replace(/\/+$/, '');
    if (path === base || path.startsWith(`${base}/`)) {
      if (best === undefined || base.length > best.containerPath.length) {
        best = { ...m, containerPath: base };
      }
    }
  }
  return best === undefined ? path : best.hostPath + path.slice(best.containerPath.length);
}

/**
 * buildContainerRecord turns a CreateContainerRequest into the record StartContainer runs.
 * Throws INVALID_ARGUMENT with a message the kubelet shows as CreateContainerError when the
 * request cannot run: no metadata, or neither the image nor `command` says what to run.
 */
export function buildContainerRecord(args: {
  id: string;
  req: cri.CreateContainerRequest;
  sandbox: SandboxRecord;
  image: ResolvedImage | undefined;
  scratchRoot: string;
  nowMs: number;
}): ContainerRecord {
  const { id, req, sandbox, image, scratchRoot, nowMs } = args;
  const config = req.config;
  if (config?.metadata === undefined) throw criInvalid('container config must include metadata');
  // The kubelet may name the image by id (image) and keep the user's spelling aside; status
  // shows the user's spelling, as containerd does.
  const imageRef = config.image?.userSpecifiedImage || config.image?.image || '';
  const argv = mergeArgv(image?.config, config.command, config.args);
  if (argv.length === 0) {
    throw criInvalid(image?.config === undefined
      ? `image "${imageRef}" is not in the process runtime's image catalogue (busybox, pause, ` +
        'host/<absolute path>), so it names no entrypoint: the container needs a command'
      : 'no command specified');
  }
  const mounts = config.mounts.map((m) => ({
    containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readonly,
  }));
  const env = mergeEnv(image?.config?.env ?? [], config.envs, sandbox.hostname);
  env[ROOT_ENV] = scratchRoot;
  const workingDir = config.workingDir || image?.config?.workingDir || '';
  const logPath = config.logPath !== '' && sandbox.logDirectory !== ''
    ? join(sandbox.logDirectory, config.logPath) : '';
  return {
    id, sandboxId: sandbox.id,
    metadata: { name: config.metadata.name, attempt: config.metadata.attempt },
    image: imageRef, imageId: image?.id ?? '', argv,
    env: Object.entries(env).map(([key, value]) => ({ key, value })),
    cwd: workingDir === '' ? scratchRoot : mapContainerPath(workingDir, mounts),
    logPath, mounts, labels: config.labels, annotations: config.annotations,
    stdin: config.stdin, stdinOnce: config.stdinOnce, tty: config.tty,
    phase: 'created', createdAtMs: nowMs, startedAtMs: 0, finishedAtMs: 0, exitCode: 0,
    reason: '', message: '', pid: 0, pidStartTicks: 0,
  };
}

/** scratchLinks lists the symlinks (path inside the scratch root → target) a container gets. */
export function scratchLinks(
  scratchRoot: string,
  mounts: readonly MountRecord[],
): [string, string][] {
  const paths = mounts
    .filter((m) => posix.isAbsolute(m.containerPath))
    .map((m) => ({
      path: posix.normalize(m.containerPath).replace(/\/+$/, ''), target: m.hostPath,
    }))
    .filter((m) => m.path !== '');
  // A mount nested in another would be created inside the outer mount's host directory
  // (through its symlink): it is skipped, its files are reached through the outer link.
  const nested = (p: string): boolean => paths.some((o) => p.startsWith(`${o.path}/`));
  return paths.filter((m) => !nested(m.path)).map((m) => [join(scratchRoot, m.path), m.target]);
}
