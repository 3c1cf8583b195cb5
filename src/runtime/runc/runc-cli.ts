/**
 * The runc command line, one function per subcommand the runtime uses. Every call names the
 * runtime's own --root, so several k8ts nodes on one host (and any other runc user) never see
 * each other's containers.
 */
import { runTool, runToolOk } from './spawner.js';
import type { OciProcess, OciResources } from './oci-types.js';

/** The runc binary (Debian's). */
export const RUNC_BINARY = '/usr/sbin/runc';

/** RuncStatus is what `runc state` reports; it never reports an exit code (P11). */
export type RuncStatus = 'creating' | 'created' | 'running' | 'pausing' | 'paused' | 'stopped';

/** RuncState is the JSON of `runc state` / one entry of `runc list`. */
export interface RuncState {
  id: string;
  pid: number;
  status: RuncStatus;
  bundle: string;
  created: string;
}

/** Runc binds the CLI to one state root. */
export class Runc {
  constructor(readonly root: string) {}

  private argv(args: string[]): string[] {
    return [RUNC_BINARY, `--root=${this.root}`, ...args];
  }

  /** state returns the container's state, or undefined when runc does not know it. */
  async state(id: string): Promise<RuncState | undefined> {
    const result = await runTool(this.argv(['state', id]));
    if (result.code !== 0) {
      if (/does not exist|not found/i.test(result.stderr)) return undefined;
      throw new Error(`runc state ${id}: ${result.stderr.trim()}`);
    }
    return JSON.parse(result.stdout) as RuncState;
  }

  /** list returns every container under the root. */
  async list(): Promise<RuncState[]> {
    const out = await runToolOk(this.argv(['list', '--format', 'json']));
    const parsed = JSON.parse(out.trim() || '[]') as RuncState[] | null;
    return parsed ?? [];
  }

  /** kill sends a signal (name without SIG, or number) to the container's init process. */
  async kill(id: string, signal: string): Promise<void> {
    const result = await runTool(this.argv(['kill', id, signal]));
    if (result.code !== 0 && !/not running|process already finished|does not exist/i
      .test(result.stderr)) {
      throw new Error(`runc kill ${id} ${signal}: ${result.stderr.trim()}`);
    }
  }

  /** delete removes the container (killing it first); an unknown id is not an error. */
  async delete(id: string): Promise<void> {
    const result = await runTool(this.argv(['delete', '--force', id]));
    if (result.code !== 0 && !/does not exist|not found/i.test(result.stderr)) {
      throw new Error(`runc delete ${id}: ${result.stderr.trim()}`);
    }
  }

  /** update applies new cgroup resources to a live container. */
  async update(id: string, resources: OciResources): Promise<void> {
    const { devices: _devices, ...rest } = resources;
    await runToolOk(this.argv(['update', '--resources', '-', id]), { input: JSON.stringify(rest) });
  }

  /** execArgv is the argv of `runc exec` with a process spec file (used by exec and ExecSync). */
  execArgv(id: string, processFile: string, extra: string[] = []): string[] {
    return this.argv(['exec', ...extra, '--process', processFile, id]);
  }
}

/** execProcess derives an exec's process spec from the container's: same user, env, cwd. */
export function execProcess(base: OciProcess, cmd: string[], tty: boolean): OciProcess {
  const { oomScoreAdj: _oom, consoleSize: _size, ...rest } = base;
  return { ...rest, args: cmd, terminal: tty };
}
