/**
 * The nodes of a cluster config: which machines run a kubelet, on which address, with which
 * container runtime and pod range. Masters with an API server are nodes too (role control-plane,
 * tainted NoSchedule, as kubeadm makes them); `workers:` adds worker nodes.
 *
 *   workers:
 *     - { name: w1, address: 127.0.2.1 }
 *     - { name: w2, address: 127.0.2.2, runtime: runc }
 *   kubelet: { port: 10250, runtime: process }
 *
 * A config with neither `workers:` nor `kubelet:` runs no kubelets (a control plane only, as the
 * store and API benchmarks want). Pod ranges follow the runtime (ARCHITECTURE.md §6): the process
 * runtime gives each pod a loopback address (127.64.<k>.0/24 for the k-th node); the root runtimes
 * give addresses from 100.64.<k>.0/24 on a bridge k8ts creates, behind a host blackhole route for
 * 100.64.0.0/10. Never a private or public range.
 */
import { isLoopbackIp } from '../base/loopback.js';
import type { ConfigReader, Fields } from './config-reader.js';

/** RuntimeKind: the CRI runtime a node's kubelet talks to. */
export type RuntimeKind = 'process' | 'runc' | 'containerd';
export const RUNTIME_KINDS: readonly RuntimeKind[] = ['process', 'runc', 'containerd'];

/** NodeRole: masters carry the control-plane role and taint; workers run the workloads. */
export type NodeRole = 'control-plane' | 'worker';

/** NodeSpec: one kubelet of the cluster, fully resolved (defaults applied). */
export interface NodeSpec {
  name: string;
  role: NodeRole;
  /** The node's own loopback address (InternalIP); the kubelet serves on it. */
  address: string;
  kubeletPort: number;
  runtime: RuntimeKind;
  /** The pods' address range of this node (see the header). */
  podCidr: string;
}

/** KubeletDefaults: what every node gets unless its entry says otherwise. */
export interface KubeletDefaults {
  port: number;
  runtime: RuntimeKind;
}

/** DEFAULT_KUBELET: upstream's kubelet port; the runtime that needs no root. */
export const DEFAULT_KUBELET: KubeletDefaults = { port: 10250, runtime: 'process' };

/** MAX_WORKERS: worker entries a config may list (hollow nodes are configured apart). */
const MAX_WORKERS = 64;

/** MasterRef: what the node list needs to know of a master (its name and peer address). */
export interface MasterRef {
  name: string;
  address: string;
  api: string | undefined;
}

/**
 * readNodes resolves the kubelets of a config: one per master with an API server, then the
 * workers in order. Names must not clash with masters; addresses must be loopback and distinct.
 */
export function readNodes(r: ConfigReader, top: Fields, masters: readonly MasterRef[]): NodeSpec[] {
  if (!top.has('workers') && !top.has('kubelet')) return [];
  const dflt = readKubeletDefaults(r, top);
  const nodes: NodeSpec[] = masters
    .filter((m) => m.api !== undefined)
    .map((m, i) => ({
      name: m.name,
      role: 'control-plane' as const,
      address: m.address.slice(0, m.address.lastIndexOf(':')),
      kubeletPort: dflt.port,
      runtime: dflt.runtime,
      podCidr: podCidrFor(dflt.runtime, i + 1),
    }));
  if (!top.has('workers')) return nodes;
  const node = top.get('workers');
  const items = r.seq(node, 'workers');
  if (items.length > MAX_WORKERS) r.fail(node, `workers lists ${items.length}; at most ${MAX_WORKERS}`);
  const names = new Set(masters.map((m) => m.name));
  const addresses = new Set(nodes.map((n) => n.address));
  items.forEach((item, i) => {
    const path = `workers[${i}]`;
    const f = r.map(item, path, ['name', 'address', 'runtime', 'podCidr']);
    const nameNode = r.required(f, 'name', item, path);
    const name = r.str(nameNode, `${path}.name`);
    if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(name)) {
      r.fail(nameNode, `${path}.name ${JSON.stringify(name)} must be lower-case letters, digits and dashes (≤ 32)`);
    }
    if (names.has(name)) r.fail(nameNode, `${path}.name ${name} is already a master or worker`);
    const addrNode = r.required(f, 'address', item, path);
    const address = r.str(addrNode, `${path}.address`);
    if (!isLoopbackIp(address)) {
      r.fail(addrNode, `${path}.address ${JSON.stringify(address)} must be a loopback IPv4 address ` +
        '(127.x.y.z, no port): nodes never listen off the machine');
    }
    if (addresses.has(address)) r.fail(addrNode, `${path}.address ${address} is used by another node`);
    const runtime = f.has('runtime') ? readRuntime(r, f.get('runtime'), `${path}.runtime`) : dflt.runtime;
    const k = nodes.length + 1;
    const podCidr = f.has('podCidr') ? readPodCidr(r, f.get('podCidr'), `${path}.podCidr`, runtime) : podCidrFor(runtime, k);
    names.add(name);
    addresses.add(address);
    nodes.push({ name, role: 'worker', address, kubeletPort: dflt.port, runtime, podCidr });
  });
  return nodes;
}

/** podCidrFor: the default pod range of the k-th node (1-based) for its runtime. */
export function podCidrFor(runtime: RuntimeKind, k: number): string {
  return runtime === 'process' ? `127.64.${k}.0/24` : `100.64.${k}.0/24`;
}

function readKubeletDefaults(r: ConfigReader, top: Fields): KubeletDefaults {
  if (!top.has('kubelet')) return { ...DEFAULT_KUBELET };
  const f = r.map(top.get('kubelet'), 'kubelet', ['port', 'runtime']);
  return {
    port: f.has('port') ? r.int(f.get('port'), 'kubelet.port', 1024, 65535) : DEFAULT_KUBELET.port,
    runtime: f.has('runtime') ? readRuntime(r, f.get('runtime'), 'kubelet.runtime') : DEFAULT_KUBELET.runtime,
  };
}

function readRuntime(r: ConfigReader, node: Parameters<ConfigReader['str']>[0], path: string): RuntimeKind {
  const v = r.str(node, path);
  if (!(RUNTIME_KINDS as readonly string[]).includes(v)) {
    r.fail(node, `${path} ${JSON.stringify(v)} is not a runtime (one of: ${RUNTIME_KINDS.join(', ')}; ` +
      'runc and containerd need root)');
  }
  return v as RuntimeKind;
}

function readPodCidr(r: ConfigReader, node: Parameters<ConfigReader['str']>[0], path: string, runtime: RuntimeKind): string {
  const cidr = r.str(node, path);
  const m = /^(\d+)\.(\d+)\.(\d+)\.0\/24$/.exec(cidr);
  const octets = m ? m.slice(1, 4).map(Number) : [];
  const ok = m !== null && octets.every((o) => o <= 255) &&
    (runtime === 'process' ? octets[0] === 127 : octets[0] === 100 && (octets[1] ?? 0) >= 64 && (octets[1] ?? 0) <= 127);
  if (!ok) {
    r.fail(node, `${path} ${JSON.stringify(cidr)} must be a /24 ` + (runtime === 'process'
      ? 'inside 127.0.0.0/8 (the process runtime gives pods loopback addresses)'
      : 'inside 100.64.0.0/10 (pods of root runtimes live on a bridge k8ts creates)'));
  }
  return cidr;
}

/** HollowConfig: hollow nodes (simulated kubelets, many per process) for scale experiments. */
export interface HollowConfig {
  /** How many hollow nodes (named hollow-0001, ...). */
  nodes: number;
  /** How many processes share them (each runs nodes / processes kubelets). */
  processes: number;
  /** The hollow processes' nice value (0–19, default 10). Hollow nodes stand for other machines,
   *  as kubemark's do: on one box they must not take the CPU the masters they load need (at load
   *  13 on 2 cores the store members stalled for seconds and changed leader tens of times). */
  nice: number;
}

/** HOLLOW_NICE: the hollow processes' default nice value (see HollowConfig.nice). */
const HOLLOW_NICE = 10;

/** MAX_HOLLOW_NODES: a bound on what one machine is asked to simulate. */
const MAX_HOLLOW_NODES = 5_000;

/** readHollow reads `hollow: { nodes: 1000, processes: 4 }`; undefined without the block. */
export function readHollow(r: ConfigReader, top: Fields): HollowConfig | undefined {
  if (!top.has('hollow')) return undefined;
  const node = top.get('hollow');
  const f = r.map(node, 'hollow', ['nodes', 'processes', 'nice']);
  const nodes = r.int(r.required(f, 'nodes', node, 'hollow'), 'hollow.nodes', 1, MAX_HOLLOW_NODES);
  const processes = f.has('processes') ? r.int(f.get('processes'), 'hollow.processes', 1, 64) : 1;
  if (processes > nodes) r.fail(f.get('processes'), `hollow.processes (${processes}) exceeds hollow.nodes (${nodes})`);
  const nice = f.has('nice') ? r.int(f.get('nice'), 'hollow.nice', 0, 19) : HOLLOW_NICE;
  return { nodes, processes, nice };
}

/** hollowShard: the hollow node names shard i (0-based) of `processes` runs. */
export function hollowShard(h: Pick<HollowConfig, 'nodes' | 'processes'>, i: number): string[] {
  const names: string[] = [];
  for (let k = i; k < h.nodes; k += h.processes) names.push(`hollow-${String(k + 1).padStart(4, '0')}`);
  return names;
}
