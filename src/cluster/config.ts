/**
 * The cluster config: which members a Raft group has, where they listen, how fast they tick,
 * where their state lives. Read from YAML (cluster-configs/*.yaml) or from the embedded default,
 * validated with errors that name file and line.
 *
 * Every address must be loopback (127.0.0.0/8): k8ts never sends anything off the machine.
 */
import { DEFAULT_LEADER_TIMING } from '../client/leader/elector.js';
import { NODE_LIFECYCLE_DEFAULTS } from '../controllers/nodelifecycle/controller.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseDurationSeconds, uncachedPrefixes } from '../apiserver/storage-flags.js';
import { ETCD_LIMITS } from '../store/errors.js';
import { ConfigError, ConfigReader, type Fields } from './config-reader.js';
import { DEFAULT_CONFIG_YAML } from './default-config.js';
import { readHollow, readNodes, type HollowConfig, type NodeSpec } from './node-config.js';

export { ConfigError } from './config-reader.js';
export { DEFAULT_CONFIG_YAML } from './default-config.js';

export interface MemberSpec {
  id: number;
  name: string;
  /** host:port of the peer port (Raft transport and internal calls), host in 127.0.0.0/8. */
  address: string;
  /** host:port where etcd clients connect (etcd's client URL); the peer port serves the etcd API
   *  too, so this is optional. */
  client: string | undefined;
  /** host:port of this master's API server (HTTPS, kubectl's server URL); absent = no API
   *  server on this member (a store-only cluster). */
  api: string | undefined;
  /** host:port of the master's component gRPC API (scheduler, controllers, kubelets; mTLS). */
  grpc: string | undefined;
}

export interface Timing {
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
}

export interface ClusterConfig {
  name: string;
  members: MemberSpec[];
  /** Data directory as written: absolute, or relative to the cluster's state dir. */
  dataDir: string;
  timing: Timing;
  /** Directory with ca.crt, <member>.crt/.key and client.crt/.key; absolute after loading. */
  tlsDir: string | undefined;
  forwarding: boolean;
  /** The store's limits: etcd's quota-backend-bytes (NOSPACE above it). */
  store: StoreLimits;
  /** Service cluster IP range (loopback: nothing allocated can route off the machine). */
  serviceCidr: string;
  force: boolean;
  /** The controller manager's and scheduler's leader election and node monitoring. */
  controlPlane: ControlPlaneConfig;
  /** The API servers' storage flags (apiServer: in YAML). */
  apiServer: ApiServerConfig;
  /** The kubelets: one per master with an API server, then the workers (node-config.ts). */
  nodes: NodeSpec[];
  /** Hollow nodes (simulated kubelets) for scale experiments; undefined = none. */
  hollow: HollowConfig | undefined;
  /** Where the config came from (file path or "<embedded default>"), for messages. */
  source: string;
}

export interface StoreLimits {
  quotaBytes: number;
  /** Applied entries between two snapshots of the store (etcd's --snapshot-count). */
  snapshotCount: number;
}

/**
 * ControlPlaneConfig: leader election of the controller manager and the scheduler (one active
 * per cluster, fenced) and the node lifecycle controller's patience. k8ts's defaults hand over
 * within a second of a leader's death (Kubernetes' 15 s lease is tuned for large clusters on
 * slow networks; this one lives on loopback); SREs lengthen them to see the difference.
 */
export interface ControlPlaneConfig {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** A node not heard from for this long turns Unknown and is tainted (upstream: 40 s). */
  nodeMonitorGracePeriodMs: number;
}

/** DEFAULT_CONTROL_PLANE: sub-second leader failover; upstream's node grace period. */
export const DEFAULT_CONTROL_PLANE: ControlPlaneConfig = {
  ...DEFAULT_LEADER_TIMING,
  nodeMonitorGracePeriodMs: NODE_LIFECYCLE_DEFAULTS.nodeMonitorGracePeriodMs,
};

/**
 * ApiServerConfig: kube-apiserver flags a cluster config may set for its API servers, kept as
 * the flag text (checked when the config is read, so a typo fails `k8ts up` with file and line
 * instead of crash-looping every API server). Undefined = the API server's own default.
 */
export interface ApiServerConfig {
  /** --watch-cache-sizes, e.g. "events#100" (cache Events too) or "pods#0". */
  watchCacheSizes: string | undefined;
  /** --event-ttl as a Go duration, e.g. "10m". */
  eventTtl: string | undefined;
}

/** apiServerArgs: the flags every API server of the cluster is started with, by the supervisor
 *  or as a static pod (the same list, so both ways run the same API server). */
export function apiServerArgs(cfg: ClusterConfig): string[] {
  const a = cfg.apiServer;
  return [
    ...(a.watchCacheSizes === undefined ? [] : ['--watch-cache-sizes', a.watchCacheSizes]),
    ...(a.eventTtl === undefined ? [] : ['--event-ttl', a.eventTtl]),
  ];
}

export interface LoadOptions {
  /** --force: accept an even member count. */
  force?: boolean;
}

const TOP_KEYS = ['name', 'members', 'dataDir', 'timing', 'tls', 'forwarding', 'store', 'serviceCidr', 'force', 'controlPlane', 'apiServer', 'workers', 'kubelet', 'hollow'] as const;

/** DEFAULT_SERVICE_CIDR: Service addresses from loopback (ARCHITECTURE.md §6). */
export const DEFAULT_SERVICE_CIDR = '127.96.0.0/16';

const NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** loadClusterConfig reads and validates a config file. */
export function loadClusterConfig(path: string, opts: LoadOptions = {}): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read cluster config: ${(err as Error).message}`);
  }
  const cfg = parseClusterConfig(text, path, opts);
  if (cfg.tlsDir !== undefined && !isAbsolute(cfg.tlsDir)) cfg.tlsDir = resolve(path, '..', cfg.tlsDir);
  return cfg;
}

/** defaultClusterConfig is the embedded config `k8ts up` uses without -f (same as default.yaml). */
export function defaultClusterConfig(opts: LoadOptions = {}): ClusterConfig {
  return parseClusterConfig(DEFAULT_CONFIG_YAML, '<embedded default>', opts);
}

/** parseClusterConfig validates YAML text; source names it in errors. */
export function parseClusterConfig(text: string, source: string, opts: LoadOptions = {}): ClusterConfig {
  const r = new ConfigReader(source, text);
  const top = r.map(r.root, '', TOP_KEYS);
  const force = opts.force === true || (top.has('force') && r.bool(top.get('force'), 'force'));
  const membersNode = r.required(top, 'members', r.root, '');
  const members = readMembers(r, membersNode);
  const cfg: ClusterConfig = {
    name: readName(r, r.required(top, 'name', r.root, '')),
    members,
    dataDir: top.has('dataDir') ? r.str(top.get('dataDir'), 'dataDir') : 'data',
    timing: readTiming(r, top),
    tlsDir: top.has('tls') ? r.str(r.map(top.get('tls'), 'tls', ['dir']).get('dir'), 'tls.dir') : undefined,
    forwarding: top.has('forwarding') ? r.bool(top.get('forwarding'), 'forwarding') : true,
    store: readStore(r, top),
    serviceCidr: readServiceCidr(r, top),
    force,
    controlPlane: readControlPlane(r, top),
    apiServer: readApiServer(r, top),
    nodes: readNodes(r, top, members),
    hollow: readHollow(r, top),
    source,
  };
  const n = cfg.members.length;
  if (n % 2 === 0 && !force) {
    r.fail(membersNode, `${n} members is an even count. Raft needs a majority: ${n - 1} members ` +
      `tolerate ${Math.floor((n - 2) / 2)} failure(s) and ${n} members tolerate the same ` +
      `${Math.floor((n - 1) / 2)}, while the extra member adds one more machine that can fail ` +
      `and one more vote every write waits for. Use ${n - 1} or ${n + 1} members ` +
      `(3 tolerates 1 failure, 4 also only 1, 5 tolerates 2), or pass --force / set force: true.`);
  }
  return cfg;
}

function readName(r: ConfigReader, node: ReturnType<ConfigReader['required']>): string {
  const name = r.str(node, 'name');
  if (!NAME.test(name)) r.fail(node, `name ${JSON.stringify(name)} must be lower-case letters, digits and dashes (≤ 32)`);
  return name;
}

function readMembers(r: ConfigReader, node: ReturnType<ConfigReader['required']>): MemberSpec[] {
  const items = r.seq(node, 'members');
  if (items.length === 0) r.fail(node, 'members must list at least one member');
  if (items.length > 9) r.fail(node, `members lists ${items.length}; at most 9 are supported`);
  const seen = { id: new Set<number>(), name: new Set<string>(), address: new Set<string>() };
  return items.map((item, i) => {
    const path = `members[${i}]`;
    const f = r.map(item, path, ['id', 'name', 'address', 'client', 'api', 'grpc']);
    const id = r.int(r.required(f, 'id', item, path), `${path}.id`, 1, 0xffff_ffff);
    const nameNode = r.required(f, 'name', item, path);
    const name = readName(r, nameNode);
    const addrNode = r.required(f, 'address', item, path);
    const address = r.str(addrNode, `${path}.address`);
    checkAddress(r, addrNode, `${path}.address`, address);
    if (seen.id.has(id)) r.fail(f.get('id'), `${path}.id ${id} is used by another member`);
    if (seen.name.has(name)) r.fail(nameNode, `${path}.name ${name} is used by another member`);
    if (seen.address.has(address)) r.fail(addrNode, `${path}.address ${address} is used by another member`);
    let client: string | undefined;
    if (f.has('client')) {
      const clientNode = r.required(f, 'client', item, path);
      client = r.str(clientNode, `${path}.client`);
      checkAddress(r, clientNode, `${path}.client`, client);
      if (seen.address.has(client) || client === address) r.fail(clientNode, `${path}.client ${client} is used by another member or port`);
      seen.address.add(client);
    }
    let api: string | undefined;
    if (f.has('api')) {
      const apiNode = r.required(f, 'api', item, path);
      api = r.str(apiNode, `${path}.api`);
      checkAddress(r, apiNode, `${path}.api`, api);
      if (seen.address.has(api) || api === address) r.fail(apiNode, `${path}.api ${api} is used by another member or port`);
      seen.address.add(api);
    }
    let grpc: string | undefined;
    if (f.has('grpc')) {
      const grpcNode = r.required(f, 'grpc', item, path);
      grpc = r.str(grpcNode, `${path}.grpc`);
      checkAddress(r, grpcNode, `${path}.grpc`, grpc);
      if (api === undefined) r.fail(grpcNode, `${path}.grpc needs ${path}.api: the component API runs in the API server`);
      if (seen.address.has(grpc) || grpc === address) r.fail(grpcNode, `${path}.grpc ${grpc} is used by another member or port`);
      seen.address.add(grpc);
    }
    seen.id.add(id);
    seen.name.add(name);
    seen.address.add(address);
    return { id, name, address, client, api, grpc };
  });
}

function checkAddress(r: ConfigReader, node: ReturnType<ConfigReader['required']>, path: string, address: string): void {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+):(\d+)$/.exec(address);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const port = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || port < 1 || port > 65535) {
    r.fail(node, `${path} ${JSON.stringify(address)} must be IPv4 host:port (e.g. 127.0.1.1:12380)`);
  }
  if (octets[0] !== 127) {
    r.fail(node, `${path} ${address} is not loopback: k8ts members listen only on 127.0.0.0/8`);
  }
}

function readServiceCidr(r: ConfigReader, top: Fields): string {
  if (!top.has('serviceCidr')) return DEFAULT_SERVICE_CIDR;
  const node = top.get('serviceCidr');
  const cidr = r.str(node, 'serviceCidr');
  const m = /^127\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  const bits = m ? Number(m[4]) : 0;
  if (!m || m.slice(1, 4).some((o) => Number(o) > 255) || bits < 12 || bits > 28) {
    r.fail(node, `serviceCidr ${JSON.stringify(cidr)} must be a loopback IPv4 range 127.x.y.z/12..28 ` +
      '(e.g. 127.96.0.0/16): Service addresses never leave the machine');
  }
  return cidr;
}

function readStore(r: ConfigReader, top: Fields): StoreLimits {
  const dflt: StoreLimits = { quotaBytes: ETCD_LIMITS.quotaBytes, snapshotCount: ETCD_LIMITS.snapshotCount };
  if (!top.has('store')) return dflt;
  const f = r.map(top.get('store'), 'store', ['quotaBytes', 'snapshotCount']);
  return {
    quotaBytes: f.has('quotaBytes') ? r.int(f.get('quotaBytes'), 'store.quotaBytes', 1024, 64 * 1024 * 1024 * 1024) : dflt.quotaBytes,
    snapshotCount: f.has('snapshotCount') ? r.int(f.get('snapshotCount'), 'store.snapshotCount', 100, 10_000_000) : dflt.snapshotCount,
  };
}

function readControlPlane(r: ConfigReader, top: Fields): ControlPlaneConfig {
  const dflt = DEFAULT_CONTROL_PLANE;
  if (!top.has('controlPlane')) return { ...dflt };
  const node = top.get('controlPlane');
  const keys = ['leaseDurationMs', 'renewDeadlineMs', 'retryPeriodMs', 'nodeMonitorGracePeriodMs'] as const;
  const f = r.map(node, 'controlPlane', keys);
  const read = (k: (typeof keys)[number], min: number, max: number): number =>
    f.has(k) ? r.int(f.get(k), `controlPlane.${k}`, min, max) : dflt[k];
  const c: ControlPlaneConfig = {
    leaseDurationMs: read('leaseDurationMs', 100, 600_000),
    renewDeadlineMs: read('renewDeadlineMs', 50, 600_000),
    retryPeriodMs: read('retryPeriodMs', 10, 60_000),
    nodeMonitorGracePeriodMs: read('nodeMonitorGracePeriodMs', 1_000, 3_600_000),
  };
  if (!(c.retryPeriodMs < c.renewDeadlineMs && c.renewDeadlineMs < c.leaseDurationMs)) {
    r.fail(node, `controlPlane needs retryPeriodMs (${c.retryPeriodMs}) < renewDeadlineMs ` +
      `(${c.renewDeadlineMs}) < leaseDurationMs (${c.leaseDurationMs}): a leader must give up ` +
      'before its lease can expire, or two leaders could both believe they lead');
  }
  return c;
}

function readApiServer(r: ConfigReader, top: Fields): ApiServerConfig {
  if (!top.has('apiServer')) return { watchCacheSizes: undefined, eventTtl: undefined };
  const f = r.map(top.get('apiServer'), 'apiServer', ['watchCacheSizes', 'eventTtl']);
  // The API server's own parsers judge the text; their "--flag: " prefix becomes the YAML path.
  const check = (key: keyof ApiServerConfig, parse: (text: string) => unknown): string | undefined => {
    if (!f.has(key)) return undefined;
    const node = f.get(key);
    const text = r.str(node, `apiServer.${key}`);
    try {
      parse(text);
    } catch (e) {
      r.fail(node, `apiServer.${key}: ${(e as Error).message.replace(/^--[a-z-]+: /, '')}`);
    }
    return text;
  };
  return {
    watchCacheSizes: check('watchCacheSizes', uncachedPrefixes),
    eventTtl: check('eventTtl', (t) => parseDurationSeconds('--event-ttl', t)),
  };
}

function readTiming(r: ConfigReader, top: Fields): Timing {
  const dflt: Timing = DEFAULT_TIMING;
  if (!top.has('timing')) return dflt;
  const node = top.get('timing');
  const f = r.map(node, 'timing', ['tickMs', 'electionTicks', 'heartbeatTicks']);
  const t: Timing = {
    tickMs: f.has('tickMs') ? r.int(f.get('tickMs'), 'timing.tickMs', 1, 1000) : dflt.tickMs,
    electionTicks: f.has('electionTicks') ? r.int(f.get('electionTicks'), 'timing.electionTicks', 2, 10_000) : dflt.electionTicks,
    heartbeatTicks: f.has('heartbeatTicks') ? r.int(f.get('heartbeatTicks'), 'timing.heartbeatTicks', 1, 10_000) : dflt.heartbeatTicks,
  };
  if (t.heartbeatTicks >= t.electionTicks) {
    r.fail(node, `timing.heartbeatTicks (${t.heartbeatTicks}) must be below timing.electionTicks (${t.electionTicks}): ` +
      'followers would time out between heartbeats');
  }
  return t;
}

/** clusterId derives the id every transport frame carries from the cluster name, so members of
 *  two clusters on one machine never talk to each other. 48 bits fit a JS number exactly. */
export function clusterId(name: string): number {
  return createHash('sha256').update(`k8ts/${name}`).digest().readUIntBE(0, 6);
}

/** k8tsHome is ~/.k8ts, or K8TS_HOME when set. */
/** DEFAULT_TIMING: 10 ms ticks; heartbeat every 30 ms; election timeout 150–300 ms. Crash
 *  failover lands near 200 ms (docs/benchmarks.md) while a leader survives event-loop stalls up to
 *  150 ms without an election. */
export const DEFAULT_TIMING: Timing = { tickMs: 10, electionTicks: 15, heartbeatTicks: 3 };

export function k8tsHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.K8TS_HOME && env.K8TS_HOME !== '' ? resolve(env.K8TS_HOME) : join(homedir(), '.k8ts');
}

/** StatePaths: where one cluster keeps data dirs, logs, pids and its effective config. */
export interface StatePaths {
  root: string;
  config: string;
  logs: string;
  pids: string;
  data: string;
}

export function statePaths(name: string, dataDir = 'data', env: NodeJS.ProcessEnv = process.env): StatePaths {
  const root = join(k8tsHome(env), name);
  return {
    root,
    config: join(root, 'cluster.yaml'),
    logs: join(root, 'logs'),
    pids: join(root, 'pids'),
    data: isAbsolute(dataDir) ? dataDir : join(root, dataDir),
  };
}
