/**
 * NodeAgent: the kubelet's writes about its node — registration, node status and the node
 * Lease — each one async step the root actor's timers call. No timers here: the kubelet actor
 * decides when (registration retries, the renew interval, the status frequency); this file only
 * knows how, and keeps what it needs between calls (the Lease it last wrote, when status was
 * last written).
 */
import type { Node, NodeStatus } from '../../api/core/v1/cluster-kinds.js';
import type { Lease } from '../../api/coordination/v1/lease.js';
import { isStatusError } from '../../api/errors.js';
import type { Clock } from '../../base/clock.js';
import type { ComponentApi } from '../../client/component-api.js';
import { rfc3339Seconds } from '../../client/events/recorder.js';
import { microTime } from '../../client/leader/lease-record.js';
import type { KubeletConfig } from '../config.js';
import { LEASES, MERGE_PATCH, NODE_LEASE_NAMESPACE, NODES } from '../resources.js';
import {
  newNodeObject, nodeLabels, nodeStatus, nodeTaints, statusChanged, type HostFacts,
  type RuntimeFacts,
} from './node-object.js';

/** NodeAgentDeps: the API, the node's facts and time. */
export interface NodeAgentDeps {
  api: ComponentApi;
  cfg: KubeletConfig;
  host: HostFacts;
  /** The runtime's Version + Status, asked at every status computation. */
  runtimeFacts(): Promise<RuntimeFacts>;
  clock: Clock;
  wallMs(): number;
  log(line: string): void;
}

/** NodeAgent registers the node, posts its status and renews its Lease. */
export class NodeAgent {
  private nodeUid = '';
  private lease: Lease | undefined;
  private lastWriteMs: number | undefined;

  constructor(private readonly d: NodeAgentDeps) {}

  /** uid of the registered Node ("" before registration). */
  get uid(): string {
    return this.nodeUid;
  }

  /**
   * register creates the Node, or reconciles an existing one (a kubelet restart, or a Node
   * left from an earlier run): our labels and taints are merged in, podCIDRs set if missing,
   * and the status written. Throws when the API refuses (the caller retries).
   */
  async register(): Promise<Node> {
    const { api, cfg, host } = this.d;
    const status = await this.computeStatus([]);
    try {
      const node = await api.create<Node>(NODES, undefined, newNodeObject(cfg, host, status));
      this.registered(node);
      this.d.log(`node ${cfg.nodeName}: registered`);
      return node;
    } catch (e) {
      if (!isStatusError(e) || e.reason !== 'AlreadyExists') throw e;
    }
    const existing = await api.get<Node>(NODES, undefined, cfg.nodeName);
    const patch = reconcilePatch(existing, cfg, host);
    const node = patch === undefined ? existing
      : await api.patch<Node>(NODES, undefined, cfg.nodeName, MERGE_PATCH, patch);
    this.registered(node);
    // Registration is done once the Node exists: a status write that fails here is the next
    // heartbeat's to retry. Retrying the whole registration instead (create, get, patch, ...)
    // multiplied the load on an API that was already too slow to answer — a retry storm at
    // 1,000 hollow nodes that kept the heartbeats from ever starting.
    try {
      await this.postStatus(true);
    } catch (e) {
      this.d.log(`node ${cfg.nodeName}: status after registration failed, left to the next heartbeat: ${String(e)}`);
    }
    this.d.log(`node ${cfg.nodeName}: already registered; reconciled`);
    return node;
  }

  private registered(node: Node): void {
    this.nodeUid = node.metadata.uid ?? '';
    this.lastWriteMs = this.d.clock.nowMs();
  }

  /**
   * postStatus computes the status and writes it when it differs from the Node's (the node
   * lifecycle controller may have changed it), or when nodeStatusReportFrequencyMs has passed
   * since the last write, or when force. Returns whether it wrote.
   */
  async postStatus(force = false): Promise<boolean> {
    const { api, cfg, clock } = this.d;
    const current = await api.get<Node>(NODES, undefined, cfg.nodeName);
    this.nodeUid = current.metadata.uid ?? this.nodeUid;
    const next = await this.computeStatus(current.status?.conditions ?? []);
    const due = this.lastWriteMs === undefined ||
      clock.nowMs() - this.lastWriteMs >= cfg.nodeStatusReportFrequencyMs;
    if (!force && !due && !statusChanged(current.status, next)) return false;
    await api.patch(NODES, undefined, cfg.nodeName, MERGE_PATCH, { status: next },
      { subresource: 'status' });
    this.lastWriteMs = clock.nowMs();
    return true;
  }

  private async computeStatus(previous: NodeStatus['conditions']): Promise<NodeStatus> {
    const runtime = await this.runtimeFactsOrDown();
    const now = rfc3339Seconds(this.d.wallMs());
    return nodeStatus({ cfg: this.d.cfg, host: this.d.host, runtime, previous: previous ?? [],
      now });
  }

  /** A runtime that does not answer makes the node NotReady, not the kubelet fail. */
  private async runtimeFactsOrDown(): Promise<RuntimeFacts> {
    try {
      return await this.d.runtimeFacts();
    } catch (e) {
      return { name: 'unknown', version: 'unknown', ready: false,
        message: `container runtime is down: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /**
   * renewLease updates the node Lease's renewTime (creating it the first time), from the Lease
   * last written so a renewal costs one write; a conflict or a deleted Lease costs a re-read.
   */
  async renewLease(): Promise<void> {
    const { api } = this.d;
    const name = this.d.cfg.nodeName;
    if (this.lease !== undefined) {
      try {
        this.lease = await api.update<Lease>(LEASES, NODE_LEASE_NAMESPACE, this.renewed(
          this.lease));
        return;
      } catch (e) {
        if (!isStatusError(e) || (e.code !== 409 && e.code !== 404)) throw e;
        this.lease = undefined;
      }
    }
    try {
      const current = await api.get<Lease>(LEASES, NODE_LEASE_NAMESPACE, name);
      this.lease = await api.update<Lease>(LEASES, NODE_LEASE_NAMESPACE, this.renewed(current));
    } catch (e) {
      if (!isStatusError(e) || e.code !== 404) throw e;
      this.lease = await api.create<Lease>(LEASES, NODE_LEASE_NAMESPACE, this.renewed({
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name, namespace: NODE_LEASE_NAMESPACE },
      }));
    }
  }

  /** renewed: the lease held by this node, renewed now, owned by the Node (so it goes with
   *  it, as upstream's). */
  private renewed(l: Lease): Lease {
    const name = this.d.cfg.nodeName;
    const owners = this.nodeUid === '' ? l.metadata.ownerReferences
      : [{ apiVersion: 'v1', kind: 'Node', name, uid: this.nodeUid }];
    return {
      ...l,
      metadata: { ...l.metadata, ...(owners !== undefined ? { ownerReferences: owners } : {}) },
      spec: { ...l.spec, holderIdentity: name,
        leaseDurationSeconds: this.d.cfg.leaseDurationSeconds,
        renewTime: microTime(this.d.wallMs()) },
    };
  }
}

/** reconcilePatch: the merge patch bringing an existing Node's labels, taints and podCIDRs in
 *  line with this kubelet's, or undefined when nothing is missing. */
export function reconcilePatch(
  node: Node,
  cfg: KubeletConfig,
  host: HostFacts,
): object | undefined {
  const labels = nodeLabels(cfg, host);
  const have = node.metadata.labels ?? {};
  const missingLabels = Object.entries(labels).filter(([k, v]) => have[k] !== v);
  const taints = node.spec?.taints ?? [];
  const missingTaints = nodeTaints(cfg).filter((t) =>
    !taints.some((h) => h.key === t.key && h.effect === t.effect));
  const setCidr = cfg.podCidrs.length > 0 && (node.spec?.podCIDRs ?? []).length === 0;
  if (missingLabels.length === 0 && missingTaints.length === 0 && !setCidr) return undefined;
  const spec: Record<string, unknown> = {};
  if (missingTaints.length > 0) spec.taints = [...taints, ...missingTaints];
  if (setCidr) Object.assign(spec, { podCIDR: cfg.podCidrs[0], podCIDRs: cfg.podCidrs });
  return {
    metadata: { labels: Object.fromEntries(missingLabels) },
    ...(Object.keys(spec).length > 0 ? { spec } : {}),
  };
}
