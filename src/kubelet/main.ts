/**
 * runKubelet: one node's kubelet as a process would run it — connect to the component API (as
 * the node's certificate identity) and to the runtime's CRI socket, resolve the config (the
 * capacity defaults to what the host has), and start the Kubelet. The supervisor's process entry
 * (src/cluster/) calls this; kubeletOptionsFromArgs reads the same options from flags for a
 * kubelet started by hand:
 *
 *   node --import tsx src/kubelet/main.ts --node-name w1 --address 127.0.2.1 \
 *     --api 127.0.1.1:6443,127.0.1.2:6443 --runtime-socket <dir>/cri.sock --root-dir <dir> \
 *     [--manifest-dir <dir>] [--pod-cidr 127.64.1.0/24] [--role master|worker] \
 *     [--capacity cpu=4,memory=8Gi,pods=110] [--reserved cpu=100m] [--kubelet-port 10250] \
 *     [--tls-ca f --tls-cert f --tls-key f] [--serving-cert f --serving-key f] \
 *     [--cluster-dns 127.96.0.10]
 *
 * Stopping leaves containers running (upstream's kubelet does the same): a kubelet started again
 * on the same runtime finds its pods' containers and carries on.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ResourceList } from '../api/core/v1/common-types.js';
import { systemClock } from '../base/clock.js';
import { stamp, timelineOn } from '../base/timeline.js';
import { systemWallMs } from '../base/wall-clock.js';
import { ApiClient } from '../client/api-client.js';
import { componentUserAgent } from '../client/user-agent.js';
import { versionInfo } from '../apiserver/discovery/version.js';
import { eventRecorderFactory } from '../client/events/recorder.js';
import type { TlsFiles } from '../rpc/credentials.js';
import {
  DEFAULT_POD_CAPACITY, resolveKubeletConfig, type KubeletConfig, type NodeRole,
} from './config.js';
import { connectCri } from './cri/client.js';
import { tracedCri } from './cri/traced.js';
import { Kubelet, type PodTrace } from './kubelet.js';
import { podActorStarter } from './pod-workers.js';
import type { TlsPem } from './server/kubelet-server.js';
import { DEFAULT_POD_WORKER_TUNING, type PodWorkerTuning } from './pod/types.js';
import { RUNTIME_WAIT, waitForRuntimeSocket } from './node/runtime-wait.js';

/** KubeletMainOptions: everything runKubelet takes. */
export interface KubeletMainOptions {
  nodeName: string;
  /** The node's loopback address (InternalIP, kubelet server). */
  address: string;
  /** host:port of every API server's component gRPC face, the local one first. */
  apiEndpoints: string[];
  /** The node's client identity for the component API (CN=system:node:<node>); absent =
   *  insecure (tests). */
  tls?: TlsFiles;
  /** The runtime's CRI unix socket. */
  runtimeSocket: string;
  rootDir: string;
  manifestDir?: string;
  podCidr?: string;
  /** "control-plane" (the cluster config's word) is the same as "master". */
  role?: NodeRole | 'control-plane';
  /** Default: the host's cpus, memory, ephemeral storage of rootDir, 110 pods. */
  capacity?: ResourceList;
  reserved?: ResourceList;
  kubeletPort?: number;
  /** The kubelet server's certificate (CN=system:node:<node>) and the CA clients chain to;
   *  absent = plain HTTP (tests only). */
  servingTls?: TlsFiles;
  /** Run the kubelet server (default true). */
  serve?: boolean;
  clusterDns?: string[];
  clusterDomain?: string;
  /** Timing overrides (tests, hollow nodes). */
  config?: Partial<KubeletConfig>;
  workerTuning?: Partial<PodWorkerTuning>;
  log?: (line: string) => void;
}

/** EVENT_FLUSH_MAX_MS bounds the wait for queued events at shutdown. */
const EVENT_FLUSH_MAX_MS = 1_000;

/** RunningKubelet: the kubelet and how to stop it (and close its connections). */
export interface RunningKubelet {
  kubelet: Kubelet;
  stop(): Promise<void>;
}

/** hostCapacity: what this machine has, as node capacity. */
export function hostCapacity(rootDir: string): ResourceList {
  const cap: ResourceList = { cpu: String(cpus().length), memory: `${Math.floor(totalmem() /
    1024)}Ki`, pods: String(DEFAULT_POD_CAPACITY) };
  try {
    const st = statfsSync(rootDir);
    cap['ephemeral-storage'] = `${Math.floor((st.blocks * st.bsize) / 1024)}Ki`;
  } catch {
    // rootDir not created yet: no ephemeral-storage claim.
  }
  return cap;
}

/** runKubelet connects and starts a kubelet. */
export async function runKubelet(o: KubeletMainOptions): Promise<RunningKubelet> {
  const log = o.log ?? ((line: string) => process.stdout.write(`${new Date().toISOString()} ` +
    `${line}\n`));
  // Pod syncs and the node's first status need the runtime: wait (bounded) for its socket.
  if (!await waitForRuntimeSocket(o.runtimeSocket, { ...RUNTIME_WAIT, clock: systemClock })) {
    log(`kubelet ${o.nodeName}: runtime socket ${o.runtimeSocket} not accepting after ` +
      `${RUNTIME_WAIT.maxMs} ms; starting anyway`);
  }
  const cfg = resolveKubeletConfig({
    ...o.config,
    nodeName: o.nodeName, address: o.address, rootDir: o.rootDir,
    role: o.role === 'control-plane' || o.role === 'master' ? 'master' : 'worker',
    manifestDir: o.manifestDir,
    podCidrs: o.podCidr !== undefined && o.podCidr !== '' ? [o.podCidr] : [],
    capacity: o.capacity ?? hostCapacity(o.rootDir),
    reserved: o.reserved ?? {},
    ...(o.kubeletPort !== undefined ? { kubeletPort: o.kubeletPort } : {}),
    clusterDns: o.clusterDns ?? [],
    ...(o.clusterDomain !== undefined ? { clusterDomain: o.clusterDomain } : {}),
  });
  const api = new ApiClient({ endpoints: o.apiEndpoints,
    ...(o.tls !== undefined ? { tls: o.tls } : {}), seed: process.pid,
    userAgent: componentUserAgent('kubelet', versionInfo()) });
  // With the burst timeline on, every CRI call is stamped under its pod (cri/traced.ts).
  const cri = timelineOn ? tracedCri(connectCri(o.runtimeSocket), stamp)
    : connectCri(o.runtimeSocket);
  const events = eventRecorderFactory(api, { clock: systemClock, wallMs: systemWallMs,
    host: o.nodeName, log });
  const server = o.serve === false ? {} : { server: { port: cfg.kubeletPort,
    ...(o.servingTls !== undefined ? { tls: readPem(o.servingTls) } : {}) } };
  const kubelet = new Kubelet({ cfg, api, cri, clock: systemClock, wallMs: systemWallMs, log,
    events, startWorker: podActorStarter(o.workerTuning), ...server,
    // One node-wide relist per poll period instead of a poll per running pod.
    relistMs: o.workerTuning?.runningPollMs ?? DEFAULT_POD_WORKER_TUNING.runningPollMs,
    ...timelineOption() });
  kubelet.start();
  log(`kubelet ${cfg.nodeName} (${cfg.role}) on ${cfg.address}: API ${o.apiEndpoints.join(',')},` +
    ` runtime ${o.runtimeSocket}`);
  return {
    kubelet,
    stop: async () => {
      await kubelet.stop();
      // Events are best effort: with no API server a flush could retry for long; bounded.
      await Promise.race([events.stop(), new Promise<void>((r) =>
        systemClock.setTimeout(r, EVENT_FLUSH_MAX_MS))]);
      cri.close();
      api.close();
    },
  };
}

/** timelineOption: with the burst timeline on (K8TS_TIMELINE, src/base/timeline.ts) the steps
 *  of each pod's start are stamped as "kl.<step>" under the pod's "namespace/name". */
function timelineOption(): { trace?: PodTrace } {
  if (!timelineOn) return {};
  return { trace: (pod, stage) => stamp(`kl.${stage}`,
    `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`) };
}

/** readPem loads the serving key pair and CA. */
function readPem(f: TlsFiles): TlsPem {
  return { key: readFileSync(f.keyFile), cert: readFileSync(f.certFile),
    ca: readFileSync(f.caFile) };
}

/** parseResourceList reads "cpu=4,memory=8Gi" into a ResourceList. */
export function parseResourceList(text: string | undefined): ResourceList | undefined {
  if (text === undefined || text === '') return undefined;
  const out: ResourceList = {};
  for (const part of text.split(',')) {
    const [k, v] = part.split('=');
    if (!k || v === undefined || v === '') throw new Error(`bad resource "${part}" in ${text}`);
    out[k.trim()] = v.trim();
  }
  return out;
}

/** kubeletOptionsFromArgs reads runKubelet's options from command-line flags. */
export function kubeletOptionsFromArgs(args: string[]): KubeletMainOptions {
  const s = { type: 'string' } as const;
  const { values: v } = parseArgs({ args, options: {
    'node-name': s, address: s, api: s, 'runtime-socket': s, 'root-dir': s,
    'manifest-dir': s, 'pod-cidr': s, role: s, capacity: s, reserved: s,
    'kubelet-port': s, 'tls-ca': s, 'tls-cert': s, 'tls-key': s, 'cluster-dns': s,
    'cluster-domain': s, 'serving-cert': s, 'serving-key': s } });
  const need = (k: keyof typeof v): string => {
    const x = v[k];
    if (x === undefined || x === '') throw new Error(`kubelet: --${k} is required`);
    return x;
  };
  const role = v.role ?? 'worker';
  if (!['master', 'worker', 'control-plane'].includes(role)) {
    throw new Error(`kubelet: --role ${role}: one of master, worker, control-plane`);
  }
  const tls = v['tls-ca'] !== undefined ? { caFile: need('tls-ca'), certFile: need('tls-cert'),
    keyFile: need('tls-key') } : undefined;
  const servingTls = v['serving-cert'] !== undefined ? { caFile: need('tls-ca'),
    certFile: need('serving-cert'), keyFile: need('serving-key') } : undefined;
  const capacity = parseResourceList(v.capacity);
  const reserved = parseResourceList(v.reserved);
  return {
    nodeName: need('node-name'), address: need('address'),
    apiEndpoints: need('api').split(','), runtimeSocket: need('runtime-socket'),
    rootDir: need('root-dir'), role: role as NodeRole,
    ...(v['manifest-dir'] !== undefined ? { manifestDir: v['manifest-dir'] } : {}),
    ...(v['pod-cidr'] !== undefined ? { podCidr: v['pod-cidr'] } : {}),
    ...(capacity !== undefined ? { capacity } : {}),
    ...(reserved !== undefined ? { reserved } : {}),
    ...(v['kubelet-port'] !== undefined ? { kubeletPort: Number(v['kubelet-port']) } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(servingTls !== undefined ? { servingTls } : {}),
    ...(v['cluster-dns'] !== undefined ? { clusterDns: v['cluster-dns'].split(',') } : {}),
    ...(v['cluster-domain'] !== undefined ? { clusterDomain: v['cluster-domain'] } : {}),
  };
}

/** main: the process entry (flags → runKubelet; SIGTERM/SIGINT stop it). */
async function main(): Promise<void> {
  const running = await runKubelet(kubeletOptionsFromArgs(process.argv.slice(2)));
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) return;
    stopping = true;
    running.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((e: unknown) => {
    process.stderr.write(`kubelet: fatal: ${e instanceof Error ? (e.stack ?? e.message) : e}\n`);
    process.exit(1);
  });
}
