/**
 * KubeletLogSource is the kubelet server's LogSource: it finds the pod and container the
 * request names, picks the instance from the pod's reported status (choose.ts), asks the runtime
 * for that instance's log_path (CRI ContainerStatus), and streams the file (read.ts). Following
 * asks the runtime whether the container still runs. When the runtime no longer knows the
 * instance (removed after a restart), the log is still found by the node's layout,
 * <pod dir>/<container>/<attempt>.log, the newest or the one before it.
 */
import { readdir } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { Clock } from '../../base/clock.js';
import { ContainerState, isCriNotFound, type CriRuntime } from '../cri/types.js';
import { LogError, type LogRequest, type LogSource } from '../server/types.js';
import { chooseLogInstance, findContainerStatus, hasContainerSpec, type LogInstance } from
  './choose.js';
import { parseAttempt, podLogDirectory } from './paths.js';
import { streamCriLog, type FollowControl } from './read.js';
import type { Writable } from 'node:stream';

/** MAX_DEFECTS_LOGGED bounds the complaints about non-CRI lines per request. */
const MAX_DEFECTS_LOGGED = 5;

/** What the log source needs from the rest of the kubelet. */
export interface KubeletLogSourceDeps {
  /** The pod as this kubelet runs it, with the status it last reported; undefined = unknown. */
  getPod(namespace: string, name: string): Pod | undefined;
  /** The runtime (the CRI client): log paths and running state of container instances. */
  cri: Pick<CriRuntime, 'containerStatus'>;
  clock: Clock;
  /** The node's pod log root (<stateDir>/pods-logs; /var/log/pods upstream). */
  podLogsRoot: string;
  /** Longest sleep of a follower between checks (default 1 s, the kubelet's). */
  recheckMs?: number;
  log?(line: string): void;
}

/** KubeletLogSource — see the file comment. */
export class KubeletLogSource implements LogSource {
  constructor(private readonly deps: KubeletLogSourceDeps) {}

  /** streamLogs implements LogSource: resolves at the end, rejects with LogError for 4xx. */
  async streamLogs(req: LogRequest, out: Writable, signal: AbortSignal): Promise<void> {
    const pod = this.deps.getPod(req.namespace, req.pod);
    if (!pod) throw new LogError(404, `pod "${req.pod}" does not exist`);
    if (!hasContainerSpec(pod, req.container)) {
      throw new LogError(404, `container "${req.container}" not found in pod "${req.pod}"`);
    }
    const status = findContainerStatus(pod, req.container);
    const chosen = chooseLogInstance(req.pod, status, req.previous, req.container);
    if (typeof chosen === 'string') throw new LogError(400, chosen);
    const path = await this.logPathOf(pod, req.container, chosen);
    const follow: FollowControl | undefined = req.follow
      ? { isRunning: () => this.isRunning(chosen), clock: this.deps.clock,
        recheckMs: this.deps.recheckMs }
      : undefined;
    let defects = 0;
    try {
      await streamCriLog(path, {
        timestamps: req.timestamps,
        tailLines: req.tailLines,
        limitBytes: req.limitBytes,
        sinceWallNs: req.sinceWallMs === undefined
          ? undefined : BigInt(Math.floor(req.sinceWallMs)) * 1_000_000n,
        follow,
        onDefect: (d) => {
          // A damaged file can hold many bad lines: say so a few times, not once per line.
          if (++defects <= MAX_DEFECTS_LOGGED) {
            this.deps.log?.(`log ${path}: ${d.error}: ${d.line.subarray(0, 200).toString()}`);
          }
        },
      }, out, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new LogError(400, `failed to try resolving symlinks in path "${path}": ` +
        `lstat ${path}: no such file or directory`);
    }
  }

  /** logPathOf asks the runtime for the instance's log, else finds it by the node's layout. */
  private async logPathOf(pod: Pod, container: string, chosen: LogInstance): Promise<string> {
    try {
      const res = await this.deps.cri.containerStatus({ containerId: chosen.containerId,
        verbose: false });
      const logPath = res.status?.logPath ?? '';
      if (isAbsolute(logPath)) return logPath;
    } catch (err) {
      if (!isCriNotFound(err)) throw err;
    }
    const { namespace = 'default', name = '', uid = '' } = pod.metadata ?? {};
    const dir = join(podLogDirectory(this.deps.podLogsRoot, namespace, name, uid), container);
    const attempt = pickAttempt(await listAttempts(dir), chosen.newest);
    if (attempt === undefined) {
      throw new LogError(400, `${chosen.newest ? '' : 'previous terminated '}container ` +
        `"${container}" in pod "${name}" not found`);
    }
    return join(dir, `${attempt}.log`);
  }

  private async isRunning(chosen: LogInstance): Promise<boolean> {
    if (!chosen.newest) return false;
    try {
      const res = await this.deps.cri.containerStatus({ containerId: chosen.containerId,
        verbose: false });
      return res.status?.state === ContainerState.CONTAINER_RUNNING;
    } catch (err) {
      if (isCriNotFound(err)) return false;
      throw err;
    }
  }
}

/** pickAttempt: the newest attempt, or the one before it. */
export function pickAttempt(attempts: readonly number[], newest: boolean): number | undefined {
  const sorted = [...attempts].sort((a, b) => b - a);
  return sorted[newest ? 0 : 1];
}

async function listAttempts(dir: string): Promise<number[]> {
  try {
    return (await readdir(dir)).map(parseAttempt).filter((n): n is number => n !== undefined);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
