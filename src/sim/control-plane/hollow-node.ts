/**
 * HollowNode: a kubelet with nothing behind it (kubemark's hollow node), for the control-plane
 * simulation. It does what the control plane can observe of a kubelet and nothing more:
 *
 * - registers its Node (Ready, allocatable) and posts Ready again whenever the Node does not say
 *   so (after the node lifecycle controller marked it Unknown) or the heartbeat is old;
 * - renews its Lease in kube-node-lease every leaseRenewMs;
 * - watches the pods bound to it (field selector spec.nodeName, as the kubelet does) and, after a
 *   seeded start delay, makes each Running and Ready with a pod IP; deletes for good (grace 0)
 *   the pods that carry a deletionTimestamp, as a kubelet does once their containers stopped.
 *
 * Level-triggered like a controller: a pod key is scheduled, and when its timer fires the pod is
 * re-read from the cache and brought to where it should be. kill() stops everything at once
 * (the Lease goes stale, nothing more is written); a new HollowNode of the same name is the
 * kubelet restarting.
 */
import { PODS } from '../../client/resources.js';
import type { Condition } from '../../api/core/v1/common-types.js';
import type { Node } from '../../api/core/v1/cluster-kinds.js';
import type { Pod, PodStatus } from '../../api/core/v1/pod-types.js';
import type { Lease } from '../../api/coordination/v1/lease.js';
import { isStatusError } from '../../api/errors.js';
import { assert } from '../../base/assert.js';
import type { Clock, Timer } from '../../base/clock.js';
import type { Prng } from '../../base/prng.js';
import { SharedInformerFactory } from '../../client/cache/factory.js';
import type { Informer } from '../../client/cache/types.js';
import type { ApiResource } from '../../client/types.js';
import type { SimLink } from './link.js';

const NODES: ApiResource = { group: '', version: 'v1', resource: 'nodes' };
const LEASES: ApiResource = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
const MERGE = 'application/merge-patch+json';

/** RETRIES_MAX bounds retries of one pod's write before the key waits for its next event. */
const RETRIES_MAX = 20;

/** HollowNodeOptions: identity, capacity and timing. */
export interface HollowNodeOptions {
  name: string;
  /** Distinct per node: pod IPs are 10.<index+1>.x.y, the node's 192.168.0.<index+1>. */
  index: number;
  allocatable: { cpu: string; memory: string; pods: string };
  leaseRenewMs: number;
  /** Ready is posted again when the last heartbeat is this old. */
  statusEveryMs: number;
  /** A pod becomes Running+Ready this long after the kubelet first sees it (seeded range). */
  startDelayMs: [number, number];
}

/** HollowNodeDeps: the node's own connection, time and randomness. */
export interface HollowNodeDeps {
  link: SimLink;
  clock: Clock;
  wallMs: () => number;
  prng: Prng;
  log: (line: string) => void;
}

/** HollowNode is one running hollow kubelet. */
export class HollowNode {
  private readonly informers: SharedInformerFactory;
  private readonly pods: Informer<Pod>;
  private readonly timers = new Map<string, Timer>();
  private readonly retries = new Map<string, number>();
  private readonly podIps = new Map<string, string>();
  private ticker: Timer | undefined;
  private lastStatusMs = -Infinity;
  private nextIp = 1;
  private stopped = false;

  constructor(
    private readonly o: HollowNodeOptions,
    private readonly d: HollowNodeDeps,
  ) {
    assert(o.startDelayMs[0] <= o.startDelayMs[1], 'hollow node: bad start delay range');
    this.informers = new SharedInformerFactory(d.link, { clock: d.clock, seed: d.prng.nextU32() });
    this.pods = this.informers.informerFor<Pod>(PODS, { fieldSelector: `spec.nodeName=${o.name}` });
    this.pods.addHandlers({
      add: (p) => this.schedule(p, this.startDelayMs()),
      update: (_, p) => this.schedule(p, this.startDelayMs()),
    });
  }

  get name(): string {
    return this.o.name;
  }

  /** start registers the Node, then renews and watches until kill(). */
  start(): void {
    this.ticker = this.d.clock.setInterval(() => void this.tick(), this.o.leaseRenewMs);
    void this.tick();
    this.informers.start();
  }

  /** kill: the kubelet dies (no release of anything, nothing more written). */
  kill(): void {
    this.stopped = true;
    this.ticker?.cancel();
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.informers.stop();
    this.d.link.kill();
  }

  /** breakWatches ends the kubelet's watches (its API server restarted). */
  breakWatches(): void {
    this.d.link.breakWatches();
  }

  /** tick renews the Lease and, when due, the Node's Ready status. Errors wait for the next. */
  private async tick(): Promise<void> {
    try {
      await this.renewLease();
      const node = await this.getNode();
      if (node === undefined) await this.d.link.create(NODES, undefined, this.nodeObject());
      else if (this.statusDue(node)) await this.postReady();
    } catch (e) {
      if (!this.stopped) this.d.log(`hollow node ${this.o.name}: ${messageOf(e)}`);
    }
  }

  private async getNode(): Promise<Node | undefined> {
    try {
      return await this.d.link.get<Node>(NODES, undefined, this.o.name);
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return undefined;
      throw e;
    }
  }

  private statusDue(node: Node): boolean {
    const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
    const stale = this.d.clock.nowMs() - this.lastStatusMs >= this.o.statusEveryMs;
    return ready?.status !== 'True' || stale;
  }

  private async postReady(): Promise<void> {
    const status = { conditions: this.nodeObject().status?.conditions ?? [] };
    await this.d.link.patch(NODES, undefined, this.o.name, MERGE, { status },
      { subresource: 'status' });
    this.lastStatusMs = this.d.clock.nowMs();
  }

  private async renewLease(): Promise<void> {
    const ns = 'kube-node-lease';
    const spec = { holderIdentity: this.o.name, leaseDurationSeconds: 40, renewTime: this.micro() };
    try {
      const lease = await this.d.link.get<Lease>(LEASES, ns, this.o.name);
      await this.d.link.update(LEASES, ns, { ...lease, spec: { ...lease.spec, ...spec } });
    } catch (e) {
      if (!(isStatusError(e) && e.code === 404)) throw e;
      const fresh: Lease = {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name: this.o.name, namespace: ns }, spec,
      };
      await this.d.link.create(LEASES, ns, fresh);
    }
  }

  /** schedule runs sync(pod) after delayMs, unless a sync of that pod is already scheduled. */
  private schedule(p: Pod, delayMs: number): void {
    const key = `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
    if (this.stopped || this.timers.has(key) || !this.needsWork(p)) return;
    const timer = this.d.clock.setTimeout(() => {
      this.timers.delete(key);
      void this.sync(key);
    }, p.metadata.deletionTimestamp !== undefined ? this.d.prng.range(10, 300) : delayMs);
    this.timers.set(key, timer);
  }

  private needsWork(p: Pod): boolean {
    return p.metadata.deletionTimestamp !== undefined || !isRunningReady(p);
  }

  /** sync brings one pod, re-read from the cache, to where this kubelet wants it. */
  private async sync(key: string): Promise<void> {
    const [ns = '', name = ''] = key.split('/');
    const p = this.pods.lister.get(ns, name);
    if (this.stopped || p === undefined || !this.needsWork(p)) return;
    try {
      if (p.metadata.deletionTimestamp !== undefined) {
        const uid = p.metadata.uid ?? '';
        await this.d.link.delete(PODS, ns, name, { gracePeriodSeconds: 0,
          preconditions: { uid } });
      } else {
        await this.d.link.patch(PODS, ns, name, MERGE, { status: this.runningStatus(p) },
          { subresource: 'status' });
      }
      this.retries.delete(key);
    } catch (e) {
      if (isStatusError(e) && (e.code === 404 || e.code === 409)) return;
      const n = (this.retries.get(key) ?? 0) + 1;
      this.retries.set(key, n);
      if (n <= RETRIES_MAX) this.schedule(p, 500);
    }
  }

  private startDelayMs(): number {
    return this.d.prng.range(this.o.startDelayMs[0], this.o.startDelayMs[1]);
  }

  private runningStatus(p: Pod): PodStatus {
    const now = this.rfc3339();
    const cond = (type: string): Condition =>
      ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
    const hostIP = this.hostIp();
    const podIP = p.status?.podIP ?? this.podIpOf(p);
    return {
      phase: 'Running',
      conditions: [cond('Initialized'), cond('Ready'), cond('ContainersReady'),
        cond('PodScheduled')],
      hostIP, hostIPs: [{ ip: hostIP }],
      podIP, podIPs: [{ ip: podIP }],
      startTime: p.status?.startTime ?? now,
      containerStatuses: (p.spec?.containers ?? []).map((c) => ({
        name: c.name, ready: true, restartCount: 0, started: true, image: c.image ?? '',
        imageID: '', containerID: `hollow://${p.metadata.uid ?? ''}/${c.name}`,
        state: { running: { startedAt: now } },
      })),
    };
  }

  private podIpOf(p: Pod): string {
    const uid = p.metadata.uid ?? '';
    let ip = this.podIps.get(uid);
    if (ip === undefined) {
      const n = this.nextIp++;
      assert(n < 65_000, 'hollow node: out of pod IPs');
      ip = `10.${this.o.index + 1}.${n >> 8}.${n & 255}`;
      this.podIps.set(uid, ip);
    }
    return ip;
  }

  private hostIp(): string {
    return `192.168.0.${this.o.index + 1}`;
  }

  private nodeObject(): Node {
    const now = this.rfc3339();
    const a = this.o.allocatable;
    return {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: this.o.name, labels: { 'kubernetes.io/hostname': this.o.name } },
      spec: {},
      status: {
        capacity: { ...a }, allocatable: { ...a },
        conditions: [{
          type: 'Ready', status: 'True', reason: 'KubeletReady',
          message: 'kubelet is posting ready status', lastHeartbeatTime: now,
          lastTransitionTime: now,
        }],
        addresses: [{ type: 'InternalIP', address: this.hostIp() },
          { type: 'Hostname', address: this.o.name }],
      },
    };
  }

  private rfc3339(): string {
    return new Date(Math.floor(this.d.wallMs() / 1000) * 1000).toISOString()
      .replace('.000Z', 'Z');
  }

  private micro(): string {
    return new Date(this.d.wallMs()).toISOString().replace('Z', '000Z');
  }
}

function isRunningReady(p: Pod): boolean {
  const ready = (p.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return p.status?.phase === 'Running' && ready?.status === 'True';
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
