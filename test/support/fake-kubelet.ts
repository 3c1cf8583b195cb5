/**
 * Fake kubelets for tests (KWOK-style) until real kubelets exist: Node objects that say Ready,
 * and pods bound to them that "run" at once. A pod bound to one of our nodes gets phase Running,
 * conditions PodScheduled/Initialized/ContainersReady/Ready True, ready running containers, a
 * hostIP, a 127.x podIP and a startTime; a pod being deleted on our nodes is removed for good
 * (grace period 0), as a kubelet does once its containers have stopped. Nothing runs: it only
 * writes the statuses a kubelet would, so controllers and kubectl see a working cluster.
 *
 * With bindUnscheduled (only for tests that run without the scheduler) unscheduled pods are
 * bound round robin to our nodes through api.bind.
 *
 *   const kubelets = await startFakeKubelets(api, { nodes: ['n1', 'n2'], bindUnscheduled: true });
 *   ...
 *   await kubelets.stop();
 */
import type { Condition } from '../../src/api/core/v1/common-types.js';
import type { Node } from '../../src/api/core/v1/cluster-kinds.js';
import type { Pod, PodStatus } from '../../src/api/core/v1/pod-types.js';
import { isStatusError } from '../../src/api/errors.js';
import { systemClock, type Clock, type Timer } from '../../src/base/clock.js';
import { systemWallMs } from '../../src/base/wall-clock.js';
import type { ComponentApi } from '../../src/client/component-api.js';
import type { ApiWatch } from '../../src/client/types.js';
import { rfc3339 } from '../../src/controllers/base/pods.js';
import { NODES, PODS } from '../../src/controllers/base/resources.js';

/** FakeKubeletOptions: which nodes to run, and the clock/wall time to stamp statuses with. */
export interface FakeKubeletOptions {
  nodes: string[];
  clock?: Clock;
  wallMs?: () => number;
  /** Bind pods without spec.nodeName round robin to `nodes` (tests without a scheduler). */
  bindUnscheduled?: boolean;
  /** Renew the nodes' Ready heartbeat this often (default 10 s; 0: never). */
  heartbeatMs?: number;
}

/** FakeKubelets is the running set; stop() ends the watch and timers. */
export interface FakeKubelets {
  stop(): Promise<void>;
}

/** RETRY_DELAY_MS: wait before re-watching after the watch fails (API server restarting). */
const RETRY_DELAY_MS = 200;

/**
 * startFakeKubelets creates (or refreshes) the Node objects, then watches all pods and plays
 * kubelet for those on its nodes. Resolves once the nodes exist.
 */
export async function startFakeKubelets(
  api: ComponentApi,
  o: FakeKubeletOptions,
): Promise<FakeKubelets> {
  const k = new FakeKubeletSet(api, o);
  await k.registerNodes();
  k.start();
  return { stop: () => k.stop() };
}

class FakeKubeletSet {
  private readonly clock: Clock;
  private readonly wallMs: () => number;
  private readonly nodeIps = new Map<string, string>();
  /** Pod keys with a write in flight: one write per pod at a time. */
  private readonly busy = new Set<string>();
  /** The newest state seen of a busy pod, handled when its write ends. */
  private readonly latest = new Map<string, Pod>();
  private readonly podIps = new Map<string, string>();
  private nextPodIp = 1;
  private nextNode = 0;
  private stopped = false;
  private watch: ApiWatch<Pod> | undefined;
  private heartbeat: Timer | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly api: ComponentApi,
    private readonly o: FakeKubeletOptions,
  ) {
    this.clock = o.clock ?? systemClock;
    this.wallMs = o.wallMs ?? systemWallMs;
    o.nodes.forEach((n, i) => this.nodeIps.set(n, `127.0.0.${10 + i}`));
  }

  private now(): string {
    return rfc3339(this.wallMs());
  }

  async registerNodes(): Promise<void> {
    for (const name of this.o.nodes) {
      const node = this.nodeObject(name);
      try {
        await this.api.create(NODES, undefined, node);
      } catch (err) {
        if (!isStatusError(err) || err.reason !== 'AlreadyExists') throw err;
        await this.api.patch(NODES, undefined, name, 'application/merge-patch+json',
          { status: node.status ?? {} }, { subresource: 'status' });
      }
    }
  }

  private nodeObject(name: string): Node {
    const now = this.now();
    const resources = { cpu: '4', memory: '16Gi', pods: '110' };
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
        },
      },
      spec: {},
      status: {
        capacity: { ...resources },
        allocatable: { ...resources },
        conditions: [{
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: now, lastTransitionTime: now,
        }],
        addresses: [
          { type: 'InternalIP', address: this.nodeIps.get(name) ?? '127.0.0.1' },
          { type: 'Hostname', address: name },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.32.0-fake',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    };
  }

  start(): void {
    this.loop = this.watchLoop();
    const every = this.o.heartbeatMs ?? 10_000;
    if (every > 0) this.heartbeat = this.clock.setInterval(() => void this.beat(), every);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.heartbeat?.cancel();
    this.watch?.stop();
    await this.loop;
  }

  /** beat renews every node's Ready heartbeat, as the node status updater does. */
  private async beat(): Promise<void> {
    for (const name of this.o.nodes) {
      const node = this.nodeObject(name);
      try {
        await this.api.patch(NODES, undefined, name, 'application/merge-patch+json',
          { status: { conditions: node.status?.conditions ?? [] } }, { subresource: 'status' });
      } catch {
        // Best effort: the next beat tries again.
      }
    }
  }

  /** watchLoop watches all pods from the current state on, re-watching after failures. */
  private async watchLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        this.watch = this.api.watch<Pod>(PODS, undefined, { resourceVersion: '' });
        for await (const e of this.watch) {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') this.handle(e.object);
        }
      } catch {
        // Expired or unreachable: start over from the current state.
      }
      if (!this.stopped) await new Promise<void>((r) => this.clock.setTimeout(r, RETRY_DELAY_MS));
    }
  }

  /** handle acts on one observed pod state; one write per pod at a time, errors ignored (the
   *  next event for the pod retries: everything here is level-triggered). */
  private handle(p: Pod): void {
    const key = `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
    if (this.stopped) return;
    if (this.busy.has(key)) {
      this.latest.set(key, p);
      return;
    }
    const work = this.workFor(p);
    if (work === undefined) return;
    this.busy.add(key);
    void work().catch(() => undefined).finally(() => {
      this.busy.delete(key);
      const next = this.latest.get(key);
      this.latest.delete(key);
      if (next !== undefined) this.handle(next);
    });
  }

  private workFor(p: Pod): (() => Promise<unknown>) | undefined {
    const ns = p.metadata.namespace ?? '';
    const name = p.metadata.name ?? '';
    const node = p.spec?.nodeName ?? '';
    if (node === '') {
      if (!this.o.bindUnscheduled || p.metadata.deletionTimestamp !== undefined) return undefined;
      const target = this.o.nodes[this.nextNode++ % this.o.nodes.length] ?? '';
      return () => this.api.bind(ns, name, target);
    }
    if (!this.nodeIps.has(node)) return undefined;
    if (p.metadata.deletionTimestamp !== undefined) {
      return () => this.api.delete(PODS, ns, name, { gracePeriodSeconds: 0 });
    }
    if (isRunningReady(p)) return undefined;
    return () => this.api.patch(PODS, ns, name, 'application/merge-patch+json',
      { status: this.runningStatus(p, node) }, { subresource: 'status' });
  }

  private runningStatus(p: Pod, node: string): PodStatus {
    const now = this.now();
    const cond = (type: string): Condition =>
      ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
    const hostIP = this.nodeIps.get(node) ?? '127.0.0.1';
    const podIP = this.podIpOf(p);
    return {
      phase: 'Running',
      conditions: [cond('PodReadyToStartContainers'), cond('Initialized'), cond('Ready'),
        cond('ContainersReady'), cond('PodScheduled')],
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: p.status?.startTime ?? now,
      containerStatuses: (p.spec?.containers ?? []).map((c) => ({
        name: c.name,
        state: { running: { startedAt: now } },
        ready: true,
        restartCount: 0,
        image: c.image ?? '',
        imageID: '',
        containerID: `fake://${p.metadata.uid ?? ''}/${c.name}`,
        started: true,
      })),
    };
  }

  /** podIpOf: a stable 127.1.x.y address per pod uid. */
  private podIpOf(p: Pod): string {
    const uid = p.metadata.uid ?? '';
    let ip = this.podIps.get(uid);
    if (ip === undefined) {
      const n = this.nextPodIp++;
      ip = `127.1.${(n >> 8) & 255}.${n & 255}`;
      this.podIps.set(uid, ip);
    }
    return ip;
  }
}

function isRunningReady(p: Pod): boolean {
  if (p.status?.phase !== 'Running') return false;
  return p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
