/**
 * ContainerLogRotator is the shell around rotation-plan.ts: every periodMs (the kubelet's
 * containerLogMonitorInterval, 10 s) it lists the running containers through the CRI, stats
 * each one's log and carries out the plan — removes, gzip to <file>.gz via a .tmp file, rename
 * of the current log followed by ReopenContainerLog (renamed back if the runtime refuses, so
 * the next round retries and no line is lost). Only running containers are rotated: a stopped
 * one writes nothing more. Rounds never overlap; a round still running when the timer fires
 * makes that tick a no-op.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Clock, Timer } from '../../base/clock.js';
import { ContainerState, isCriNotFound, type CriRuntime } from '../cri/types.js';
import {
  DEFAULT_ROTATION_POLICY,
  planRotation,
  TMP_SUFFIX,
  type RotationAction,
  type RotationPolicy,
} from './rotation-plan.js';

/** DEFAULT_MONITOR_PERIOD_MS is the kubelet's containerLogMonitorInterval. */
export const DEFAULT_MONITOR_PERIOD_MS = 10_000;

/** What the rotator needs. */
export interface ContainerLogRotatorDeps {
  cri: Pick<CriRuntime, 'listContainers' | 'containerStatus' | 'reopenContainerLog'>;
  clock: Clock;
  wallMs(): number;
  policy?: RotationPolicy;
  periodMs?: number;
  log?(line: string): void;
}

/** ContainerLogRotator — see the file comment. */
export class ContainerLogRotator {
  private timer: Timer | undefined;
  private round: Promise<void> | undefined;
  private readonly policy: RotationPolicy;

  constructor(private readonly deps: ContainerLogRotatorDeps) {
    this.policy = deps.policy ?? DEFAULT_ROTATION_POLICY;
  }

  /** start runs a round every periodMs until stop(). */
  start(): void {
    if (this.timer) return;
    this.timer = this.deps.clock.setInterval(() => {
      if (!this.round) void this.rotateAll();
    }, this.deps.periodMs ?? DEFAULT_MONITOR_PERIOD_MS);
  }

  /** stop cancels the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.round;
  }

  /** rotateAll runs one round over every running container (also callable directly). */
  rotateAll(): Promise<void> {
    this.round ??= this.runRound().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async runRound(): Promise<void> {
    let containers;
    try {
      containers = (await this.deps.cri.listContainers({ filter: {
        id: '', podSandboxId: '', labelSelector: {},
        state: { state: ContainerState.CONTAINER_RUNNING } } })).containers;
    } catch (err) {
      this.deps.log?.(`log rotation: listing containers failed: ${String(err)}`);
      return;
    }
    for (const c of containers) {
      if (c.state !== ContainerState.CONTAINER_RUNNING) continue;
      try {
        await this.rotateContainer(c.id);
      } catch (err) {
        this.deps.log?.(`log rotation of container ${c.id} failed: ${String(err)}`);
      }
    }
  }

  /** rotateContainer rotates one container's log if its plan says so. */
  async rotateContainer(containerId: string): Promise<void> {
    let logPath: string;
    try {
      const res = await this.deps.cri.containerStatus({ containerId, verbose: false });
      logPath = res.status?.logPath ?? '';
    } catch (err) {
      if (isCriNotFound(err)) return; // removed since the listing
      throw err;
    }
    if (logPath === '') return;
    const sizeBytes = await sizeOrReopen(logPath, () => this.reopen(containerId));
    if (sizeBytes === undefined) return;
    const rotatedPaths = await listRotated(logPath);
    const plan = planRotation({ logPath, sizeBytes, rotatedPaths,
      nowWallMs: this.deps.wallMs() }, this.policy);
    for (const action of plan) await this.execute(containerId, action);
  }

  private async execute(containerId: string, action: RotationAction): Promise<void> {
    switch (action.kind) {
      case 'remove':
        await rm(action.path, { force: true });
        return;
      case 'compress':
        await gzipFile(action.path, action.to);
        return;
      case 'rotate':
        await rename(action.from, action.to);
        try {
          await this.reopen(containerId);
        } catch (err) {
          await rename(action.to, action.from);
          throw err;
        }
        return;
    }
  }

  private async reopen(containerId: string): Promise<void> {
    await this.deps.cri.reopenContainerLog({ containerId });
  }
}

/**
 * sizeOrReopen stats the log; a missing log (a rename whose reopen failed, then a crash) is
 * reopened first, as upstream does. undefined = still no log: nothing to rotate.
 */
async function sizeOrReopen(logPath: string, reopen: () => Promise<void>):
  Promise<number | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return (await stat(logPath)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) return undefined;
      await reopen();
    }
  }
  return undefined;
}

/** listRotated lists `${logPath}.*` in the log's directory. */
async function listRotated(logPath: string): Promise<string[]> {
  const dir = dirname(logPath);
  const prefix = `${basename(logPath)}.`;
  return (await readdir(dir)).filter((n) => n.startsWith(prefix)).map((n) => join(dir, n));
}

/** gzipFile writes path gzipped to `to` through a .tmp file, then removes path. */
async function gzipFile(path: string, to: string): Promise<void> {
  const tmp = path + TMP_SUFFIX;
  try {
    await pipeline(createReadStream(path), createGzip(), createWriteStream(tmp, { mode: 0o640 }));
    await rename(tmp, to);
  } finally {
    await rm(tmp, { force: true });
  }
  await rm(path, { force: true });
}
