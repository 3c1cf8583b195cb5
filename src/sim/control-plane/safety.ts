/**
 * Safety invariants of the control plane, checked on EVERY commit of the simulated store, at the
 * revision it lands (the store's observer runs synchronously inside the commit):
 *
 * - fencing: a write by an elected component (controller manager, scheduler) lands only while
 *   the fence it carried is the current holder's — the fence record's revision at that moment.
 *   So two leaders never both change the cluster: the deposed one's writes are refused.
 * - no over-creation: when a ReplicaSet's pod is created, its active pods (created, not being
 *   deleted, not finished) are at most the most replicas it asked for within the stale window —
 *   a pod created twice (lost expectations, a stale cache after failover) breaks this.
 * - rollouts: the replicas of a Deployment's ReplicaSets add up to at most its replicas plus
 *   maxSurge (again the most within the stale window: scaling down is not instant).
 * - binding: a pod is bound once, to a Node that exists, and never beyond the node's
 *   allocatable pods, cpu or memory (counting every pod on the node that has not finished).
 *
 * The checker keeps its own facts, decoded from the commits, never the components' caches: it
 * judges the system, so it shares no code with what it judges beyond the object types.
 */
import type { KubeObject } from '../../api/meta.js';
import { LEASE_FENCE_PREFIX } from '../../apiserver/registry/fence.js';
import { decodeObject } from '../../apiserver/storage/codec.js';
import type { Audit, CallTag } from './audit.js';
import type { CommitWrite } from './memory-storage.js';
import { quantity, Tracked, type Resources } from './tracked.js';

/** ELECTED maps the users of elected components to the kube-system Lease they lead by. */
export const ELECTED: ReadonlyMap<string, string> = new Map([
  ['system:kube-controller-manager', 'kube-controller-manager'],
  ['system:kube-scheduler', 'kube-scheduler'],
]);

/** VIOLATIONS_MAX bounds what is kept: the first few say what went wrong. */
const VIOLATIONS_MAX = 20;

/** Violation is one broken invariant, with when and where. */
export interface Violation {
  invariant: string;
  atMs: number;
  revision: number;
  detail: string;
}

/** SafetyStats: what the checked history contained (a run that exercised nothing proves
 *  nothing; the summary shows these). */
export interface SafetyStats {
  /** Writes of elected components that landed, fenced. */
  fencedWrites: number;
  /** Pods the controller manager deleted or marked for deletion (scale-down, eviction, GC). */
  podDeletions: number;
  /** Of those, pods on a node tainted unreachable or not-ready (NoExecute evictions). */
  evictions: number;
  binds: number;
}

/** SafetyChecker consumes commits (wire it with storage.observe) and records violations. */
export class SafetyChecker {
  readonly violations: Violation[] = [];
  readonly stats: SafetyStats = { fencedWrites: 0, podDeletions: 0, evictions: 0, binds: 0 };
  /** Nodes with a NoExecute unreachable/not-ready taint now. */
  private readonly tainted = new Set<string>();
  /** Fence record key → its revision (the current holder's fence). */
  private readonly fences = new Map<string, number>();
  private readonly facts: Tracked;
  private nowMs = 0;
  private revision = 0;

  constructor(
    private readonly audit: Audit,
    private readonly clockMs: () => number,
    staleWindowMs: number,
  ) {
    this.facts = new Tracked(staleWindowMs);
  }

  /** onCommit checks one commit, then learns from it. */
  onCommit(rev: number, writes: readonly CommitWrite[]): void {
    this.nowMs = this.clockMs();
    this.revision = rev;
    const tag = this.audit.current();
    if (tag === undefined) this.fail('attributed', `commit of ${keys(writes)} outside any call`);
    else this.checkFence(tag, writes);
    for (const w of writes) {
      if (w.key.startsWith(LEASE_FENCE_PREFIX)) this.fences.set(w.key, w.value ? rev : 0);
      else this.learn(w, rev);
    }
  }

  private checkFence(tag: CallTag, writes: readonly CommitWrite[]): void {
    const lease = ELECTED.get(tag.user);
    if (lease === undefined) return;
    if (writes.some((w) => w.key === `/registry/leases/kube-system/${lease}`)) return; // election
    const fenceKey = `${LEASE_FENCE_PREFIX}kube-system/${lease}`;
    const current = this.fences.get(fenceKey) ?? 0;
    const f = tag.fence;
    if (f === undefined || f.namespace !== 'kube-system' || f.name !== lease) {
      this.fail('fenced', `${tag.user} ${tag.verb} of ${keys(writes)} landed without its fence`);
    } else if (Number(f.revision) !== current) {
      this.fail('fenced', `${tag.user} ${tag.verb} of ${keys(writes)} landed with fence ` +
        `${f.revision} while the lease's holder acquired it at ${current}`);
    } else {
      this.stats.fencedWrites++;
    }
  }

  private learn(w: CommitWrite, rev: number): void {
    const parts = w.key.split('/');
    const resource = parts[2];
    const obj = w.value ? decodeObject(w.value, rev) : undefined;
    const prev = w.prev ? decodeObject(w.prev, rev) : undefined;
    switch (resource) {
      case 'pods': this.learnPod(w.key, obj); break;
      case 'replicasets': this.learnReplicaSet(prev, obj); break;
      case 'deployments': this.facts.setDeployment(prev ?? obj, obj, this.nowMs); break;
      case 'nodes': this.learnNode(parts[3] ?? '', obj); break;
      default: break;
    }
  }

  private learnPod(key: string, obj: KubeObject | undefined): void {
    const before = this.facts.pod(key);
    this.facts.setPod(key, obj);
    const after = this.facts.pod(key);
    const byManager = this.audit.current()?.user === 'system:kube-controller-manager';
    if (byManager && before?.active === true && after?.active !== true) {
      this.stats.podDeletions++;
      if (this.tainted.has(before.nodeName)) this.stats.evictions++;
    }
    if (after === undefined) return;
    if (before === undefined && after.owner !== undefined) this.checkOwnerCount(key, after.owner);
    const wasOn = before?.nodeName ?? '';
    if (after.nodeName === wasOn || after.nodeName === '') return;
    if (wasOn !== '') {
      this.fail('bound-once', `pod ${key} moved from node ${wasOn} to ${after.nodeName}`);
      return;
    }
    this.stats.binds++;
    this.checkNodeFits(key, after.nodeName);
  }

  private learnNode(name: string, obj: KubeObject | undefined): void {
    this.facts.setNode(name, obj && allocatableOf(obj));
    const taints = ((obj?.spec ?? {}) as { taints?: { key: string; effect: string }[] }).taints;
    const evicting = (taints ?? []).some((t) => t.effect === 'NoExecute' &&
      (t.key === 'node.kubernetes.io/unreachable' || t.key === 'node.kubernetes.io/not-ready'));
    if (evicting) this.tainted.add(name);
    else this.tainted.delete(name);
  }

  private checkOwnerCount(podKey: string, owner: string): void {
    const active = this.facts.activePodsOf(owner);
    const bound = this.facts.maxReplicas(owner, this.nowMs);
    if (bound === undefined || active <= bound) return;
    this.fail('no-overcreate', `creating ${podKey} gives ReplicaSet ${this.facts.rsName(owner)} ` +
      `${active} active pods; it asked for at most ${bound} within the stale window`);
  }

  private checkNodeFits(podKey: string, nodeName: string): void {
    const alloc = this.facts.node(nodeName);
    if (alloc === undefined) {
      this.fail('bound-to-node', `pod ${podKey} bound to ${nodeName}, which does not exist`);
      return;
    }
    const used = this.facts.usageOf(nodeName);
    const over = (['pods', 'milliCpu', 'memory'] as const).filter((r) => used[r] > alloc[r]);
    if (over.length === 0) return;
    this.fail('node-capacity', `binding ${podKey} puts node ${nodeName} over its allocatable ` +
      `${over.join(', ')}: uses ${show(used)} of ${show(alloc)}`);
  }

  private learnReplicaSet(prev: KubeObject | undefined, obj: KubeObject | undefined): void {
    const deployment = this.facts.setReplicaSet(prev ?? obj, obj, this.nowMs);
    if (deployment === undefined || obj === undefined) return;
    const sum = this.facts.replicaSetSum(deployment);
    const bound = this.facts.maxDeploymentPods(deployment, this.nowMs);
    if (bound === undefined || sum <= bound) return;
    this.fail('max-surge', `Deployment ${this.facts.deploymentName(deployment)}'s ReplicaSets ` +
      `ask for ${sum} replicas, more than replicas + maxSurge (${bound}) within the window`);
  }

  private fail(invariant: string, detail: string): void {
    if (this.violations.length >= VIOLATIONS_MAX) return;
    this.violations.push({ invariant, atMs: this.nowMs, revision: this.revision, detail });
  }
}

function keys(writes: readonly CommitWrite[]): string {
  return writes.map((w) => w.key).join(' + ');
}

function show(r: Resources): string {
  return `pods ${r.pods}, cpu ${r.milliCpu}m, memory ${r.memory}`;
}

/** allocatableOf reads a Node's status.allocatable (capacity when absent). */
function allocatableOf(node: KubeObject): Resources {
  const status = (node.status ?? {}) as { allocatable?: Record<string, unknown>;
    capacity?: Record<string, unknown> };
  const list = status.allocatable ?? status.capacity ?? {};
  return {
    pods: quantity(list.pods, 1),
    milliCpu: quantity(list.cpu, 1000),
    memory: quantity(list.memory, 1),
  };
}
