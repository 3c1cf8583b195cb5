/**
 * startRuncRuntime: the runc runtime as a process component. It prepares the host (state
 * directories, the node bridge with the gateway address, the 100.64.0.0/10 blackhole route),
 * recovers state left by a previous run, and serves CRI on a unix socket. close() only stops
 * serving: containers keep running under conmon and a restarted runtime finds them again.
 * purge() removes everything the runtime made (for tests and `k8ts down`).
 */
import { access, mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../base/clock.js';
import { systemWallMs } from '../../base/wall-clock.js';
import { formatIpv4, gatewayOf } from '../cidr.js';
import { serveCri } from '../cri-server.js';
import type { StreamingRuntime } from '../streaming/types.js';
import type { RuncContext } from './context.js';
import type { RuncImageSource } from './image-source.js';
import { ExitWatcher } from './exit-watcher.js';
import { FileIpAllocator } from './ip-allocator.js';
import { deleteBridge, ensureBlackhole, ensureBridge, k8tsBridges,
  removeBlackhole } from '../host-network.js';
import { assertPodCidr } from './pod-network.js';
import { RecordStore } from './records.js';
import { recover, type RecoveryReport } from './recovery.js';
import { Runc } from './runc-cli.js';
import { installRunWrapper } from './run-wrapper.js';
import { RuncRuntime, type StreamingUrls } from './runtime.js';
import { CGROUP_CONTROLLERS } from './sandboxes.js';
import { StoreImageSource } from './store-image-source.js';

/** A running streaming server as the runtime needs it. */
export interface StreamingHandle extends StreamingUrls {
  close(): Promise<void> | void;
}

/** Options of startRuncRuntime. */
export interface RuncRuntimeOptions {
  stateDir: string;
  imageDir: string;
  /** The node's pod range inside 100.64.0.0/10, e.g. "100.64.1.0/24". */
  podCidr: string;
  /** The node bridge, e.g. "k8ts-node1" (≤ 15 bytes). */
  bridge: string;
  socketPath: string;
  clock: Clock;
  wallMs?: () => number;
  /** Starts the streaming server for Exec/Attach/PortForward (absent: those RPCs fail). */
  streaming?: (runtime: StreamingRuntime) => Promise<StreamingHandle>;
  /** Overrides the image source (tests); default: the image store at imageDir. */
  images?: RuncImageSource;
}

/** The handle of a started runtime. */
export interface RuncRuntimeHandle {
  runtime: RuncRuntime;
  recovery: RecoveryReport;
  /** Stops serving; pods keep running. */
  close(): Promise<void>;
  /** Stops serving and removes every pod, the bridge, the state and (see below) the route. */
  purge(): Promise<void>;
}

/** How many pods purge removes at once (bounded: each removal runs several processes). */
const PURGE_PARALLELISM = 8;

/** File marking that this runtime added the blackhole route (so purge may remove it). */
const BLACKHOLE_MARKER = 'blackhole-route-added';

/** hostFacts reads what the spec generator must respect on this host (P1, swap accounting). */
async function hostFacts(): Promise<{ minOomScoreAdj: number; swapAccounting: boolean }> {
  const oom = Number((await readFile('/proc/self/oom_score_adj', 'utf8')).trim());
  const swap = await access('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes')
    .then(() => true, () => false);
  return { minOomScoreAdj: Math.max(0, oom), swapAccounting: swap };
}

/** OpenRuncOptions: what opening the runtime's state needs (no socket, no streaming). */
export type OpenRuncOptions = Omit<RuncRuntimeOptions, 'socketPath' | 'streaming'>;

/** openRuncState prepares the host and recovers the state into a context (no serving). */
async function openRuncState(o: OpenRuncOptions): Promise<{ ctx: RuncContext;
  recovery: RecoveryReport; }> {
  const cidr = assertPodCidr(o.podCidr);
  for (const dir of ['sandboxes', 'containers', 'exits', 'socks', 'runc']) {
    await mkdir(join(o.stateDir, dir), { recursive: true });
  }
  await ensureBridge(o.bridge, formatIpv4(gatewayOf(cidr)), cidr.prefixLength);
  if (await ensureBlackhole()) await writeFile(join(o.stateDir, BLACKHOLE_MARKER), '');
  const ctx: RuncContext = {
    stateDir: o.stateDir, records: new RecordStore(o.stateDir),
    runc: new Runc(join(o.stateDir, 'runc')), runWrapper: await installRunWrapper(o.stateDir),
    images: o.images ?? new StoreImageSource(o.imageDir),
    allocator: new FileIpAllocator(join(o.stateDir, 'ipam.json'), cidr),
    cidr, bridge: o.bridge, clock: o.clock, wallMs: o.wallMs ?? systemWallMs,
    exitDir: join(o.stateDir, 'exits'), socketDir: join(o.stateDir, 'socks'),
    ...(await hostFacts()), sandboxes: new Map(), containers: new Map(),
    exits: new ExitWatcher(join(o.stateDir, 'exits')), stops: new Map(), quiet: new Map(),
  };
  ctx.exits.start();
  return { ctx, recovery: await recover(ctx) };
}

/**
 * purgeRuncNode removes everything a runc runtime made on this host for one node, without a
 * running runtime (`k8ts down` after the runtime process is gone): pods, mounts, netns, veths,
 * cgroups, bridge, state (and the blackhole route as purge() decides).
 */
export async function purgeRuncNode(o: OpenRuncOptions): Promise<void> {
  const { ctx } = await openRuncState(o);
  await purgeRuntime(new RuncRuntime(ctx), o);
}

/** startRuncRuntime prepares the host, recovers and serves; see the file comment. */
export async function startRuncRuntime(o: RuncRuntimeOptions): Promise<RuncRuntimeHandle> {
  const { ctx, recovery } = await openRuncState(o);
  const runtime = new RuncRuntime(ctx);
  const streaming = o.streaming ? await o.streaming(runtime.streamingRuntime) : undefined;
  runtime.streaming = streaming;
  const server = await serveCri(runtime, o.socketPath, { clock: o.clock });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await server.close();
      await streaming?.close();
      ctx.exits.close();
    })();
    return closed;
  };
  return { runtime, recovery, close, purge: async () => {
    await close();
    await purgeRuntime(runtime, o);
  } };
}

/**
 * purgeRuntime removes every sandbox (and so every container), the node bridge and the state
 * directory, and the /k8ts cgroup roots once empty. The blackhole route goes only if this
 * runtime added it and no other k8ts bridge remains on the host (another node's pods still
 * need it).
 */
async function purgeRuntime(runtime: RuncRuntime, o: OpenRuncOptions): Promise<void> {
  runtime.ctx.exits.start(); // stops below wait for exit events
  const ids = [...runtime.ctx.sandboxes.keys()];
  for (let i = 0; i < ids.length; i += PURGE_PARALLELISM) {
    await Promise.all(ids.slice(i, i + PURGE_PARALLELISM)
      .map((id) => runtime.removePodSandbox({ podSandboxId: id })));
  }
  await deleteBridge(o.bridge);
  // /k8ts in each controller: rmdir fails while any other runtime still has pods there.
  for (const c of CGROUP_CONTROLLERS) {
    await rmdir(`/sys/fs/cgroup/${c}/k8ts`).catch(() => undefined);
  }
  const added = await access(join(o.stateDir, BLACKHOLE_MARKER)).then(() => true, () => false);
  if (added && (await k8tsBridges()).length === 0) await removeBlackhole();
  runtime.ctx.exits.close();
  await rm(o.stateDir, { recursive: true, force: true });
}
