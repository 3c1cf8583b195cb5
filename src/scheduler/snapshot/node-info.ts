/**
 * NodeInfo is one node as the scheduler sees it: the Node's labels, taints and allocatable, and
 * the sums of the pods placed on it (bound or assumed). Kept up to date incrementally by the
 * snapshot as events arrive, so a filter reads a few numbers instead of summing pods.
 */
import type { Taint } from '../../api/core/v1/cluster-kinds.js';
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import { assert } from '../../base/assert.js';
import { WILDCARD_IP, type HostPort, type PodInfo } from './pod-info.js';
import { Resources, resourcesOf } from './resources.js';

/** NodeInfo: a node and the pods on it. */
export class NodeInfo {
  /** node: undefined while pods are known on a node the informer has not shown (or deleted). */
  node: Node | undefined = undefined;
  labels: Readonly<Record<string, string>> = {};
  taints: readonly Taint[] = [];
  unschedulable = false;
  allocatable = new Resources();
  /** requested: the sum of the pods' requests. */
  readonly requested = new Resources();
  /** nonZeroRequested: the sum with scoring defaults for unset cpu/memory requests. */
  readonly nonZeroRequested = new Resources();
  /** pods on the node by key. */
  readonly pods = new Map<string, PodInfo>();
  /** usedPorts: "protocol/port" → host IPs in use → how many pods use it. */
  private readonly usedPorts = new Map<string, Map<string, number>>();
  /** listIndex: position in the snapshot's node list; -1 when not listed (no Node). */
  listIndex = -1;

  constructor(readonly name: string) {}

  /** setNode records the Node's scheduling facts. */
  setNode(node: Node): void {
    this.node = node;
    this.labels = node.metadata.labels ?? {};
    this.taints = node.spec?.taints ?? [];
    this.unschedulable = node.spec?.unschedulable === true;
    this.allocatable = resourcesOf(node.status?.allocatable);
  }

  /** addPod adds a pod's requests and ports. */
  addPod(p: PodInfo): void {
    assert(!this.pods.has(p.key), `pod ${p.key} already on node ${this.name}`);
    this.pods.set(p.key, p);
    this.requested.add(p.requests);
    this.nonZeroRequested.add(p.nonZeroRequests);
    for (const hp of p.hostPorts) this.countPort(hp, 1);
  }

  /** removePod subtracts what addPod added. */
  removePod(p: PodInfo): void {
    assert(this.pods.get(p.key) === p, `pod ${p.key} not on node ${this.name}`);
    this.pods.delete(p.key);
    this.requested.sub(p.requests);
    this.nonZeroRequested.sub(p.nonZeroRequests);
    for (const hp of p.hostPorts) this.countPort(hp, -1);
  }

  /** portConflicts: would hp clash with a port in use (same protocol and port, and the same IP
   *  or either side on every address)? */
  portConflicts(hp: HostPort): boolean {
    const ips = this.usedPorts.get(`${hp.protocol}/${hp.port}`);
    if (ips === undefined) return false;
    if (hp.ip === WILDCARD_IP) return true;
    return ips.has(hp.ip) || ips.has(WILDCARD_IP);
  }

  private countPort(hp: HostPort, delta: number): void {
    const k = `${hp.protocol}/${hp.port}`;
    let ips = this.usedPorts.get(k);
    if (ips === undefined) {
      ips = new Map();
      this.usedPorts.set(k, ips);
    }
    const n = (ips.get(hp.ip) ?? 0) + delta;
    assert(n >= 0, `port count below zero on ${this.name}`);
    if (n === 0) ips.delete(hp.ip);
    else ips.set(hp.ip, n);
    if (ips.size === 0) this.usedPorts.delete(k);
  }
}
