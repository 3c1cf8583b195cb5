/**
 * Tracked: the safety checker's own facts about pods, ReplicaSets, Deployments and Nodes,
 * learned commit by commit. Desired counts keep a short history on the virtual clock, because a
 * controller legitimately acts on a value it read a moment ago: the bound an invariant uses is
 * the most asked for within the stale window, never a value nobody ever asked for.
 */
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import { parseQuantity } from '../../api/validation/quantity.js';

/** Resources is what the capacity invariant counts. */
export interface Resources {
  pods: number;
  milliCpu: number;
  memory: number;
}

/** PodFact is what the invariants need of one pod. */
export interface PodFact {
  /** uid of the controlling ReplicaSet, if any. */
  owner: string | undefined;
  nodeName: string;
  /** Counts toward its ReplicaSet: not being deleted, not finished. */
  active: boolean;
  /** Succeeded or Failed: no longer takes node resources. */
  finished: boolean;
  milliCpu: number;
  memory: number;
}

interface Sample {
  atMs: number;
  value: number;
}

interface ReplicaSetFact {
  name: string;
  deployment: string | undefined;
  replicas: number;
  deleted: boolean;
  history: Sample[];
}

interface DeploymentFact {
  name: string;
  /** replicas + maxSurge, resolved. */
  history: Sample[];
}

/** HISTORY_MAX bounds each history: older samples than the window are dropped anyway. */
const HISTORY_MAX = 1000;

/** Tracked holds the checker's facts. */
export class Tracked {
  private readonly pods = new Map<string, PodFact>();
  private readonly replicaSets = new Map<string, ReplicaSetFact>();
  private readonly deployments = new Map<string, DeploymentFact>();
  private readonly nodes = new Map<string, Resources>();

  constructor(private readonly staleWindowMs: number) {
    assert(staleWindowMs >= 0, 'stale window must be ≥ 0');
  }

  pod(key: string): PodFact | undefined {
    return this.pods.get(key);
  }

  node(name: string): Resources | undefined {
    return this.nodes.get(name);
  }

  /** setPod records a pod's state (undefined: deleted). */
  setPod(key: string, obj: KubeObject | undefined): void {
    if (obj === undefined) this.pods.delete(key);
    else this.pods.set(key, podFact(obj));
  }

  setNode(name: string, alloc: Resources | undefined): void {
    if (alloc === undefined) this.nodes.delete(name);
    else this.nodes.set(name, alloc);
  }

  /** setReplicaSet records a ReplicaSet (obj undefined: deleted; ref names it); returns the uid
   *  of its controlling Deployment. */
  setReplicaSet(ref: KubeObject | undefined, obj: KubeObject | undefined, nowMs: number):
    string | undefined {
    const uid = ref?.metadata.uid;
    if (ref === undefined || uid === undefined) return undefined;
    const replicas = obj === undefined ? 0 : specReplicas(obj);
    const fact = this.replicaSets.get(uid) ?? {
      name: `${ref.metadata.namespace ?? ''}/${ref.metadata.name ?? ''}`,
      deployment: controllerUid(ref, 'Deployment'),
      replicas,
      deleted: false,
      history: [],
    };
    fact.replicas = replicas;
    fact.deleted = obj === undefined;
    record(fact.history, nowMs, replicas, this.staleWindowMs);
    this.replicaSets.set(uid, fact);
    return fact.deployment;
  }

  /** setDeployment records a Deployment's replicas + maxSurge (obj undefined: deleted). */
  setDeployment(ref: KubeObject | undefined, obj: KubeObject | undefined, nowMs: number): void {
    const uid = ref?.metadata.uid;
    if (ref === undefined || uid === undefined) return;
    if (obj === undefined) {
      this.deployments.delete(uid);
      return;
    }
    const fact = this.deployments.get(uid) ?? {
      name: `${ref.metadata.namespace ?? ''}/${ref.metadata.name ?? ''}`,
      history: [],
    };
    record(fact.history, nowMs, specReplicas(obj) + maxSurgeOf(obj), this.staleWindowMs);
    this.deployments.set(uid, fact);
  }

  rsName(uid: string): string {
    return this.replicaSets.get(uid)?.name ?? uid;
  }

  deploymentName(uid: string): string {
    return this.deployments.get(uid)?.name ?? uid;
  }

  /** activePodsOf counts the active pods a ReplicaSet controls. */
  activePodsOf(owner: string): number {
    let n = 0;
    for (const p of this.pods.values()) if (p.owner === owner && p.active) n++;
    return n;
  }

  /** maxReplicas: the most replicas the ReplicaSet asked for within the window (undefined:
   *  never seen — a pod for an unknown owner is not this invariant's business). */
  maxReplicas(owner: string, nowMs: number): number | undefined {
    const fact = this.replicaSets.get(owner);
    return fact && maxSince(fact.history, nowMs - this.staleWindowMs);
  }

  /** replicaSetSum: spec.replicas summed over a Deployment's live ReplicaSets. */
  replicaSetSum(deployment: string): number {
    let n = 0;
    for (const rs of this.replicaSets.values()) {
      if (rs.deployment === deployment && !rs.deleted) n += rs.replicas;
    }
    return n;
  }

  /** maxDeploymentPods: the most replicas + maxSurge within the window (undefined: deleted). */
  maxDeploymentPods(deployment: string, nowMs: number): number | undefined {
    const fact = this.deployments.get(deployment);
    return fact && maxSince(fact.history, nowMs - this.staleWindowMs);
  }

  /** usageOf: what the node's unfinished pods take. */
  usageOf(nodeName: string): Resources {
    const used: Resources = { pods: 0, milliCpu: 0, memory: 0 };
    for (const p of this.pods.values()) {
      if (p.nodeName !== nodeName || p.finished) continue;
      used.pods++;
      used.milliCpu += p.milliCpu;
      used.memory += p.memory;
    }
    return used;
  }
}

function record(history: Sample[], atMs: number, value: number, windowMs: number): void {
  history.push({ atMs, value });
  // Keep one sample older than the window: it is the value in force when the window opened.
  while (history.length > 1 && (history[1]?.atMs ?? 0) < atMs - windowMs) history.shift();
  if (history.length > HISTORY_MAX) history.shift();
}

function maxSince(history: readonly Sample[], fromMs: number): number | undefined {
  let max: number | undefined;
  for (let i = 0; i < history.length; i++) {
    const s = history[i];
    const next = history[i + 1];
    if (s === undefined) continue;
    if (next !== undefined && next.atMs < fromMs) continue; // superseded before the window
    max = Math.max(max ?? 0, s.value);
  }
  return max;
}

function podFact(obj: KubeObject): PodFact {
  const spec = (obj.spec ?? {}) as { nodeName?: string; containers?: ContainerLike[] };
  const phase = ((obj.status ?? {}) as { phase?: string }).phase;
  const finished = phase === 'Succeeded' || phase === 'Failed';
  let milliCpu = 0;
  let memory = 0;
  for (const c of spec.containers ?? []) {
    milliCpu += quantity(c.resources?.requests?.cpu, 1000);
    memory += quantity(c.resources?.requests?.memory, 1);
  }
  return {
    owner: controllerUid(obj, 'ReplicaSet'),
    nodeName: spec.nodeName ?? '',
    active: !finished && obj.metadata.deletionTimestamp === undefined,
    finished,
    milliCpu,
    memory,
  };
}

interface ContainerLike {
  resources?: { requests?: Record<string, unknown> };
}

function controllerUid(obj: KubeObject, kind: string): string | undefined {
  const refs = obj.metadata.ownerReferences ?? [];
  return refs.find((r) => r.controller === true && r.kind === kind)?.uid;
}

function specReplicas(obj: KubeObject): number {
  const r = ((obj.spec ?? {}) as { replicas?: number }).replicas;
  return r ?? 1;
}

/** maxSurgeOf resolves spec.strategy.rollingUpdate.maxSurge (default 25%, rounded up). */
function maxSurgeOf(obj: KubeObject): number {
  const spec = (obj.spec ?? {}) as {
    strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string } };
  };
  if (spec.strategy?.type === 'Recreate') return 0;
  const raw = spec.strategy?.rollingUpdate?.maxSurge ?? '25%';
  if (typeof raw === 'number') return raw;
  const pct = Number(raw.replace('%', ''));
  return Math.ceil((specReplicas(obj) * pct) / 100);
}

/** quantity parses a resource quantity scaled by `scale` (1000 for millicores), rounded up. */
export function quantity(raw: unknown, scale: number): number {
  if (raw === undefined) return 0;
  const q = parseQuantity(raw);
  if (typeof q === 'string') return 0;
  const nanos = q.nanos * BigInt(scale);
  const whole = nanos / 1_000_000_000n;
  return Number(nanos % 1_000_000_000n > 0n ? whole + 1n : whole);
}
