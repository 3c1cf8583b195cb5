/**
 * ManagedContainerd: Debian's containerd run as a child process for one k8ts node, with its state
 * under the node's state dir, the node's pod network (bridge + CNI conflist), and local images
 * imported before the kubelet asks for them. The kubelet reaches it only through its CRI socket
 * (`socketPath`), exactly as it reaches the in-house runtimes.
 *
 * Life: start() writes the config, takes over from an orphaned instance of the same node (a
 * crashed runtime process leaves containerd running; its pods survive under their shims and
 * the new instance re-adopts them), spawns containerd, waits until the CRI answers with
 * RuntimeReady and NetworkReady, and imports the archives. stop() (optionally) removes every pod,
 * stops containerd with a bound, and cleans what it leaves outside its state dir (P5, P7, P8).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { systemClock, type Clock } from '../../base/clock.js';
import { connectCri } from '../../kubelet/cri/client.js';
import {
  containerdPaths,
  renderContainerdConfig,
  type ContainerdPaths,
} from './config.js';
import {
  deleteBridge,
  ensureBlackhole,
  ensureBridge,
  readIpForward,
  restoreIpForward,
} from '../host-network.js';
import { importImageArchive } from './images.js';
import {
  argvOf,
  removeCniResults,
  removeRunContainerdIfIdle,
  shimPidsOf,
} from './leftovers.js';
import { podNetworkFor, renderCniConflist, type PodNetwork } from './pod-network.js';
import { isAlive, terminate } from './process-control.js';
import { waitCriReady } from './readiness.js';
import { unmountAll } from '../mounts.js';

/** Options of one managed containerd. */
export interface ContainerdOptions {
  /** The node's name: names its bridge and CNI network. */
  node: string;
  /** Absolute; everything containerd writes (but P5's leftovers) lives under it. */
  stateDir: string;
  /** The node's pod range inside 100.64.0.0/10, e.g. "100.64.3.0/24". */
  podCidr: string;
  /** The node's bridge (≤ 15 bytes, unique on the host); default "k8ts-<node>". */
  bridge?: string;
  /** The pause image reference; its archive must be among imageArchives (or already there). */
  sandboxImage: string;
  /** OCI layout tars to import at start, in order. */
  imageArchives?: readonly string[];
  binaries?: Partial<ContainerdBinaries>;
  clock?: Clock;
  /** Bound on containerd becoming ready (Version, RuntimeReady, NetworkReady). */
  readyTimeoutMs?: number;
  /** Grace of each stop step (SIGTERM → SIGKILL) for containerd and its shims. */
  stopGraceMs?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** The host programs used; Debian's paths by default. */
export interface ContainerdBinaries {
  containerd: string;
  ctr: string;
  runc: string;
  cniBinDir: string;
}

/** Debian 12's locations (containerd, runc and containernetworking-plugins packages). */
export const DEBIAN_BINARIES: ContainerdBinaries = {
  containerd: '/usr/bin/containerd',
  ctr: '/usr/bin/ctr',
  runc: '/usr/sbin/runc',
  cniBinDir: '/usr/lib/cni',
};

export const DEFAULT_READY_TIMEOUT_MS = 30_000;
export const DEFAULT_STOP_GRACE_MS = 10_000;

/** What stop() does besides stopping containerd. */
export interface StopOptions {
  /** Stop and remove every pod first, kill leftover shims and delete the bridge (default true).
   *  false leaves pods running under their shims, for a restart that re-adopts them. */
  removePods?: boolean;
}

/** A running containerd of one node. */
export class ManagedContainerd {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly paths: ContainerdPaths,
    readonly network: PodNetwork,
    private readonly bins: ContainerdBinaries,
    private readonly clock: Clock,
    private readonly stopGraceMs: number,
    private readonly child: ChildProcess,
    private readonly ipForwardBefore: string,
    /** Resolves with containerd's exit code (null when killed by a signal). */
    readonly exited: Promise<number | null>,
  ) {}

  /** The CRI endpoint the kubelet connects to. */
  get socketPath(): string {
    return this.paths.socket;
  }

  /** containerd's pid. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** start brings up containerd for a node; see the file comment for the steps. */
  static async start(o: ContainerdOptions): Promise<ManagedContainerd> {
    const bins = { ...DEBIAN_BINARIES, ...o.binaries };
    const clock = o.clock ?? systemClock;
    const stopGraceMs = o.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    const paths = containerdPaths(o.stateDir);
    const network = podNetworkFor(o.node, o.podCidr, paths.cniIpamDir, o.bridge);
    await writeFiles(paths, network, bins, o);
    await stopOrphan(paths, clock, stopGraceMs);
    const ipForwardBefore = await readIpForward();
    await ensureBlackhole();
    await ensureBridge(network.bridge, network.gateway, network.prefixLength);
    const { child, exited } = await spawnContainerd(bins.containerd, paths);
    const mc = new ManagedContainerd(
      paths, network, bins, clock, stopGraceMs, child, ipForwardBefore, exited,
    );
    try {
      await waitCriReady(paths, exited, clock, o.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
      for (const archive of o.imageArchives ?? []) await mc.importImage(archive);
    } catch (err) {
      await mc.stop({ removePods: true }).catch(() => undefined);
      throw err;
    }
    return mc;
  }

  /** importImage imports one OCI layout tar into the CRI namespace. */
  importImage(archivePath: string): Promise<void> {
    return importImageArchive(this.bins.ctr, this.paths.socket, archivePath);
  }

  /** stop stops containerd (once; later calls share the first). */
  stop(o: StopOptions = {}): Promise<void> {
    this.stopping ??= this.doStop(o.removePods ?? true);
    return this.stopping;
  }

  private async doStop(removePods: boolean): Promise<void> {
    // A newer instance took this state dir over (see stopOrphan): the pods are its own now.
    if (await ownedByAnother(this.paths, this.pid)) return;
    const errors: unknown[] = [];
    const step = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    };
    if (removePods) await step(() => removeAllPods(this.paths.socket));
    if (await isAlive(this.pid)) {
      await step(() => terminate(this.pid, this.clock, this.stopGraceMs));
    }
    if (removePods) {
      for (const pid of await shimPidsOf(this.paths.socket)) {
        await step(() => terminate(pid, this.clock, this.stopGraceMs));
      }
      await step(() => deleteBridge(this.network.bridge));
      await step(() => removeCniResults(this.network.name));
      await step(() => removeRunContainerdIfIdle());
    }
    await step(() => restoreIpForward(this.ipForwardBefore));
    await rm(this.paths.pidFile, { force: true });
    if (errors.length > 0) throw errors[0];
  }

  /** purge (after stop) unmounts whatever is still mounted under the state dir and deletes it:
   *  images and all. For tests and `k8ts down --purge`-like cleanups. */
  async purge(): Promise<void> {
    await this.stop();
    await unmountAll(this.paths.dir);
    await rm(this.paths.dir, { recursive: true, force: true });
  }
}

/** writeFiles makes the state dir layout and writes config.toml and the conflist. */
async function writeFiles(
  paths: ContainerdPaths,
  network: PodNetwork,
  bins: ContainerdBinaries,
  o: ContainerdOptions,
): Promise<void> {
  for (const d of [paths.dir, paths.root, paths.state, paths.cniConfDir, paths.cniIpamDir,
    paths.certsDir, paths.opt, paths.runcRoot]) {
    await mkdir(d, { recursive: true });
  }
  const config = renderContainerdConfig({
    paths,
    sandboxImage: o.sandboxImage,
    cniBinDir: bins.cniBinDir,
    runcBinary: bins.runc,
    logLevel: o.logLevel,
  });
  await writeFile(paths.configFile, config);
  await writeFile(`${paths.cniConfDir}/10-${network.name}.conflist`, renderCniConflist(network));
}

/** ownedByAnother: the pid file names a live containerd of this state dir other than ours. */
async function ownedByAnother(paths: ContainerdPaths, ourPid: number): Promise<boolean> {
  const pid = Number((await readFile(paths.pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === ourPid) return false;
  return (await argvOf(pid))?.includes(paths.configFile) ?? false;
}

/** stopOrphan stops a containerd of this state dir left by a crashed runtime process, found by
 *  its pid file and verified by its argv (a recycled pid is never signalled). Its pods keep
 *  running under their shims. */
async function stopOrphan(paths: ContainerdPaths, clock: Clock, graceMs: number): Promise<void> {
  const text = await readFile(paths.pidFile, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const argv = await argvOf(pid);
  if (argv === undefined || !argv.includes(paths.configFile)) return;
  if (!(await terminate(pid, clock, graceMs))) {
    throw new Error(`containerd ${pid} of ${paths.dir} does not exit; cannot start another`);
  }
}

/** containerd's log is kept below this: a larger one is moved to .1 (replacing it) at start. */
export const MAX_LOG_BYTES = 16 * 1024 * 1024;

/** spawnContainerd starts `containerd --config` with its output appended to its log file. */
async function spawnContainerd(binary: string, paths: ContainerdPaths) {
  const size = await stat(paths.logFile).then((s) => s.size, () => 0);
  if (size > MAX_LOG_BYTES) await rename(paths.logFile, `${paths.logFile}.1`);
  const fd = openSync(paths.logFile, 'a');
  const child = spawn(binary, ['--config', paths.configFile], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  if (child.pid !== undefined) await writeFile(paths.pidFile, `${child.pid}\n`);
  return { child, exited };
}

/** Bound on removing one pod at stop (its containers get StopPodSandbox's kill). */
const REMOVE_POD_DEADLINE_MS = 30_000;

/** removeAllPods stops and removes every sandbox through the CRI, so CNI releases addresses
 *  and veths and the shims exit. */
async function removeAllPods(socketPath: string): Promise<void> {
  const cri = connectCri(socketPath, { deadlineMs: REMOVE_POD_DEADLINE_MS });
  try {
    const { items } = await cri.listPodSandbox({});
    for (const sb of items) {
      await cri.stopPodSandbox({ podSandboxId: sb.id });
      await cri.removePodSandbox({ podSandboxId: sb.id });
    }
  } finally {
    cri.close();
  }
}
