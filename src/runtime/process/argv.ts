/**
 * The argv a container runs, from its image's Entrypoint/Cmd and the container's command/args,
 * by Kubernetes' rules (as containerd applies them): command replaces the entrypoint and drops
 * the image's Cmd; args replace the Cmd; neither keeps the image's own. Then argv[0] is looked up
 * on PATH the way exec does, so a missing binary is a clear start error, not a crash. Pure except
 * for resolveExecutable's file probes, which take a probe function.
 */

/** ImageProcessConfig is the part of an image config that decides what runs. */
export interface ImageProcessConfig {
  entrypoint: readonly string[];
  cmd: readonly string[];
  /** "KEY=value" entries; the container's env overrides them. */
  env: readonly string[];
  workingDir: string;
}

/** mergeArgv applies Kubernetes' override rules; [] means nothing to run. */
export function mergeArgv(
  image: Pick<ImageProcessConfig, 'entrypoint' | 'cmd'> | undefined,
  command: readonly string[],
  args: readonly string[],
): string[] {
  if (command.length > 0) return [...command, ...args];
  const entrypoint = image?.entrypoint ?? [];
  if (args.length > 0) return [...entrypoint, ...args];
  return [...entrypoint, ...(image?.cmd ?? [])];
}

/** KeyValue is CRI's env entry. */
export interface EnvEntry {
  key: string;
  value: string;
}

/**
 * mergeEnv builds the process environment: the image's env, then the container's (which wins),
 * then HOSTNAME (the pod's hostname, as a container runtime sets it). Later keys override.
 */
export function mergeEnv(
  imageEnv: readonly string[],
  containerEnv: readonly EnvEntry[],
  hostname: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of imageEnv) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  for (const { key, value } of containerEnv) env[key] = value;
  env.HOSTNAME = hostname;
  return env;
}

/** The PATH a container gets when neither its image nor its env sets one (runc's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * resolveExecutable finds argv0 as execvp would: a name with a slash is taken as it is (relative
 * to cwd), a bare name is searched on PATH. isExecutable probes a candidate path. Returns the
 * path, or an error text in runc's words for the StartError message.
 */
export function resolveExecutable(
  argv0: string,
  pathVar: string | undefined,
  cwd: string,
  isExecutable: (path: string) => boolean,
): { path: string } | { error: string } {
  if (argv0 === '') return { error: 'exec: "": executable file not found in $PATH' };
  if (argv0.includes('/')) {
    const path = argv0.startsWith('/') ? argv0 : `${cwd.replace(/\/+$/, '')}/${argv0}`;
    if (isExecutable(path)) return { path };
    return { error: `exec: "${argv0}": stat ${path}: no such file or executable` };
  }
  for (const dir of (pathVar ?? DEFAULT_PATH).split(':')) {
    if (dir === '') continue;
    const path = `${dir.replace(/\/+$/, '')}/${argv0}`;
    if (isExecutable(path)) return { path };
  }
  return { error: `exec: "${argv0}": executable file not found in $PATH` };
}
