/**
 * The seeded scenario: every op is drawn from the PRNG at a seeded virtual time — workload
 * changes a user would make (create, scale, roll, delete ReplicaSets, Deployments, Services) and
 * faults (kill the controller-manager or scheduler leader and start a replacement, slow a
 * leader's requests so they arrive after its successor took over, kill a node's kubelet,
 * restart it). heal() ends the faults for the liveness phase.
 */
import { isStatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { Prng } from '../../base/prng.js';
import type { SimControlPlane } from './cluster.js';
import type { ElectedKind } from './elected.js';
import type { SimLink } from './link.js';
import {
  DEPLOYMENTS, deployment, NAMESPACE, REPLICASETS, replicaSet, service, SERVICES, template,
} from './workload.js';

/** ScenarioOptions: how much happens, and which kinds of op may. */
export interface ScenarioOptions {
  /** Gap between two ops, uniform in this range (virtual ms). */
  opGapMs: [number, number];
  tolerationSeconds: number;
  /** Per-node pod capacity: workloads are sized to fit half of the cluster's. */
  podsPerNode: number;
  /** The deployment controller runs: Deployments are part of the workload. */
  deployments: boolean;
  /** Which faults may happen: all, only slowed leaders (the fencing self-test), or none. */
  faults: 'all' | 'slow' | 'none';
  /** WORKLOADS_MAX: live workloads at most (bounds the work per seed). */
  workloadsMax: number;
}

interface Workload {
  kind: 'rs' | 'deploy';
  name: string;
  /** The most replicas + maxSurge ever asked for (the capacity budget). */
  peak: number;
  /** Deployments' maxSurge (0 for ReplicaSets). */
  surge: number | string;
  version: number;
}

type Op = readonly [name: string, weight: number, run: () => Promise<void>];

/** Scenario drives ops on the cluster's clock until stop(). */
export class Scenario {
  readonly counts = new Map<string, number>();
  private readonly workloads: Workload[] = [];
  private readonly services: string[] = [];
  private readonly killed: string[] = [];
  private nextName = 1;
  private stopped = false;

  constructor(
    private readonly cp: SimControlPlane,
    private readonly admin: SimLink,
    private readonly prng: Prng,
    private readonly o: ScenarioOptions,
  ) {
    assert(o.opGapMs[0] > 0 && o.opGapMs[0] <= o.opGapMs[1], 'scenario: bad op gap');
  }

  /** start schedules the first op; each op schedules the next. */
  start(): void {
    this.cp.clock.setTimeout(() => this.tick(), this.prng.range(...this.o.opGapMs));
  }

  /** stop: no more ops (the liveness phase). */
  stop(): void {
    this.stopped = true;
  }

  /** heal restarts every killed node (slowed links recover by themselves). */
  heal(): void {
    for (const name of this.killed.splice(0)) this.cp.startNode(name);
  }

  private tick(): void {
    if (this.stopped) return;
    const ops = this.ops().filter(([, w]) => w > 0);
    const total = ops.reduce((s, [, w]) => s + w, 0);
    let pick = this.prng.int(total);
    const op = ops.find(([, w]) => (pick -= w) < 0);
    assert(op !== undefined, 'scenario: no op picked');
    const [name, , run] = op;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    this.cp.o.log(`scenario: ${name}`);
    void run().catch((e: unknown) => this.cp.o.log(`scenario: ${name} failed: ${messageOf(e)}`));
    this.start();
  }

  private ops(): Op[] {
    const room = this.workloads.length < this.o.workloadsMax;
    const has = this.workloads.length > 0;
    const faults = this.o.faults;
    const nodes = this.cp.knownNodes().length;
    const canKill = faults === 'all' && this.killed.length < Math.max(1, Math.floor(nodes / 3));
    return [
      ['create replicaset', room ? 4 : 0, () => this.createReplicaSet()],
      ['create deployment', room && this.o.deployments ? 4 : 0, () => this.createDeployment()],
      ['scale', has ? 5 : 0, () => this.scale()],
      ['roll deployment', this.workloads.some((w) => w.kind === 'deploy') ? 4 : 0,
        () => this.roll()],
      ['delete workload', has ? 1 : 0, () => this.deleteWorkload()],
      ['create service', has ? 2 : 0, () => this.createService()],
      ['delete service', this.services.length > 0 ? 1 : 0, () => this.deleteService()],
      ['kill controller-manager leader', faults === 'all' ? 1 : 0,
        () => this.killLeader('controller-manager')],
      ['kill scheduler leader', faults === 'all' ? 1 : 0, () => this.killLeader('scheduler')],
      ['slow controller-manager leader', faults !== 'none' ? 1 : 0,
        () => this.slowLeader('controller-manager')],
      ['slow scheduler leader', faults !== 'none' ? 1 : 0, () => this.slowLeader('scheduler')],
      ['kill node', canKill ? 1 : 0, () => this.killNode()],
      ['break watches', faults === 'all' ? 1 : 0, () => this.breakWatches()],
      ['restart node', this.killed.length > 0 ? 1 : 0, () => this.restartNode()],
    ];
  }

  /** budget: replicas a new or scaled workload may take (half the cluster's pods, minus the
   *  peaks of the others), so a healed cluster can always fit everything. */
  private budget(except?: Workload): number {
    const capacity = Math.floor((this.cp.knownNodes().length * this.o.podsPerNode) / 2);
    const used = this.workloads.filter((w) => w !== except).reduce((s, w) => s + w.peak, 0);
    return Math.max(0, capacity - used);
  }

  private async createReplicaSet(): Promise<void> {
    const name = `rs-${this.nextName++}`;
    const replicas = this.prng.int(Math.min(5, this.budget()) + 1);
    const w: Workload = { kind: 'rs', name, peak: replicas, surge: 0, version: 1 };
    this.workloads.push(w);
    await this.admin.create(REPLICASETS, NAMESPACE, replicaSet(name, replicas, this.tol()));
  }

  private async createDeployment(): Promise<void> {
    const name = `deploy-${this.nextName++}`;
    const surge = this.prng.pick([0, 1, 2, '25%', '50%'] as const);
    const unavailable = surge === 0 ? this.prng.pick([1, '25%'] as const)
      : this.prng.pick([0, 1, '25%'] as const);
    const room = this.budget();
    const replicas = this.prng.int(Math.max(0, Math.min(5, room - 3)) + 1);
    const w: Workload = { kind: 'deploy', name, peak: 0, surge, version: 1 };
    w.peak = replicas + surgeOf(w, replicas);
    this.workloads.push(w);
    await this.admin.create(DEPLOYMENTS, NAMESPACE,
      deployment(name, replicas, surge, unavailable, this.tol()));
  }

  private async scale(): Promise<void> {
    const w = this.prng.pick(this.workloads);
    const room = this.budget(w) - (w.kind === 'deploy' ? 3 : 0);
    const replicas = this.prng.int(Math.max(0, Math.min(6, room)) + 1);
    w.peak = Math.max(w.peak, replicas + surgeOf(w, replicas));
    await this.modify(w, (obj) => ({ ...obj, spec: { ...spec(obj), replicas } }));
  }

  private async roll(): Promise<void> {
    const w = this.prng.pick(this.workloads.filter((x) => x.kind === 'deploy'));
    w.version++;
    const t = template(w.name, w.version, this.tol());
    await this.modify(w, (obj) => ({ ...obj, spec: { ...spec(obj), template: t } }));
  }

  private async deleteWorkload(): Promise<void> {
    const i = this.prng.int(this.workloads.length);
    const [w] = this.workloads.splice(i, 1);
    if (w === undefined) return;
    const r = w.kind === 'rs' ? REPLICASETS : DEPLOYMENTS;
    await this.admin.delete(r, NAMESPACE, w.name, { propagationPolicy: 'Background' });
  }

  private async createService(): Promise<void> {
    const name = `svc-${this.nextName++}`;
    this.services.push(name);
    const app = this.prng.pick(this.workloads).name;
    await this.admin.create(SERVICES, NAMESPACE, service(name, app));
  }

  private async deleteService(): Promise<void> {
    const [name] = this.services.splice(this.prng.int(this.services.length), 1);
    if (name !== undefined) await this.admin.delete(SERVICES, NAMESPACE, name);
  }

  /** modify reads, changes and writes back a workload; a conflict drops the change. */
  private async modify(w: Workload, change: (obj: KubeObject) => KubeObject): Promise<void> {
    const r = w.kind === 'rs' ? REPLICASETS : DEPLOYMENTS;
    try {
      const cur = await this.admin.get(r, NAMESPACE, w.name);
      await this.admin.update(r, NAMESPACE, change(cur));
    } catch (e) {
      if (!(isStatusError(e) && (e.code === 409 || e.code === 404))) throw e;
    }
  }

  private async killLeader(kind: ElectedKind): Promise<void> {
    const leader = this.cp.leaders(kind)[0];
    if (leader !== undefined) {
      this.cp.o.log(`scenario: killing ${leader.identity}`);
      leader.kill();
    }
    this.cp.startProcess(kind);
    await Promise.resolve();
  }

  /** slowLeader slows the leader of kind and, a moment later, scales a workload so the leaders
   *  have writes to make: sent into the slow link, they arrive after a successor took over. */
  private async slowLeader(kind: ElectedKind): Promise<void> {
    const leader = this.cp.leaders(kind)[0];
    const extraMs = this.prng.range(300, 3000);
    leader?.slow(extraMs, this.prng.range(100, 2000));
    if (leader !== undefined) {
      this.cp.o.log(`scenario: ${leader.identity}'s requests take ${extraMs} ms longer`);
    }
    await this.sleep(this.prng.range(0, 100));
    if (this.workloads.length > 0) await this.scale();
  }

  private sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.cp.clock.setTimeout(resolve, delayMs));
  }

  /** breakWatches ends the watches of a random live process or kubelet. */
  private async breakWatches(): Promise<void> {
    const targets = [...this.cp.processes.filter((p) => p.alive), ...this.cp.nodes.values()];
    this.prng.pick(targets).breakWatches();
    await Promise.resolve();
  }

  private async killNode(): Promise<void> {
    const live = [...this.cp.nodes.keys()];
    if (live.length <= 1) return;
    const name = this.prng.pick(live);
    this.killed.push(name);
    this.cp.killNode(name);
    await Promise.resolve();
  }

  private async restartNode(): Promise<void> {
    const [name] = this.killed.splice(this.prng.int(this.killed.length), 1);
    if (name !== undefined) this.cp.startNode(name);
    await Promise.resolve();
  }

  private tol(): number {
    return this.o.tolerationSeconds;
  }
}

/** surgeOf resolves a workload's maxSurge at replicas (percentages round up, as upstream). */
function surgeOf(w: Workload, replicas: number): number {
  if (typeof w.surge === 'number') return w.surge;
  return Math.ceil((replicas * Number(w.surge.replace('%', ''))) / 100);
}

function spec(obj: KubeObject): Record<string, unknown> {
  return (obj.spec ?? {}) as Record<string, unknown>;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
