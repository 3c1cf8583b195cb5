/**
 * RuntimeIndex answers the kubelet server's ContainerResolver from a snapshot of the runtime's
 * sandboxes and containers, keyed by the io.kubernetes.* labels the pod worker puts on them.
 * The snapshot is refreshed on a timer, one refresh at a time; a pod status report marks it
 * stale, and a resolve of a stale snapshot reads the runtime first (a container just started
 * is found right after the pod says Running). Reading on demand instead of after every report
 * keeps a burst of starting pods from costing a node-wide list per report; resolves (exec,
 * attach, port-forward) are rare. Ready sandboxes and running containers win over older
 * instances; among equals, the newest.
 */
import type { Clock, Timer } from '../base/clock.js';
import {
  ContainerState, PodSandboxState, type Container, type CriRuntime, type PodSandbox,
} from './cri/types.js';
import {
  LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE,
} from './pod/cri-config.js';
import type { ContainerRef } from './server/types.js';

/** Snapshot: sandbox id by "ns/pod", container id by "ns/pod/container". */
interface Snapshot {
  sandboxes: Map<string, string>;
  containers: Map<string, ContainerRef>;
}

/** RuntimeIndex — see the file comment. */
export class RuntimeIndex {
  private snap: Snapshot = { sandboxes: new Map(), containers: new Map() };
  private timer: Timer | undefined;
  private running: Promise<void> | undefined;
  /** Bumped by markStale; `have` is its value when the snapshot's read began. */
  private wanted = 0;
  private have = 0;

  constructor(
    private readonly cri: Pick<CriRuntime, 'listPodSandbox' | 'listContainers'>,
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
    private readonly periodMs = 5_000,
  ) {}

  start(): void {
    this.timer = this.clock.setInterval(() => void this.refresh(), this.periodMs);
    void this.refresh();
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** markStale: the runtime changed (a pod reported a status); the next resolve reads it. */
  markStale(): void {
    this.wanted++;
  }

  /** resolve implements ContainerResolver: from a snapshot read after the last markStale
   *  (at most two reads: a read already under way may have begun before it). */
  async resolve(namespace: string, pod: string, container?: string):
    Promise<ContainerRef | undefined> {
    for (let i = 0; i < 2 && this.have < this.wanted; i++) await this.refresh();
    return this.lookup(namespace, pod, container);
  }

  /** lookup answers from the snapshot as it is. */
  private lookup(namespace: string, pod: string, container?: string): ContainerRef | undefined {
    if (container === undefined) {
      const sb = this.snap.sandboxes.get(`${namespace}/${pod}`);
      return sb === undefined ? undefined : { containerId: '', podSandboxId: sb };
    }
    return this.snap.containers.get(`${namespace}/${pod}/${container}`);
  }

  /** refresh re-reads the runtime (one read at a time). */
  refresh(): Promise<void> {
    this.running ??= this.read().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async read(): Promise<void> {
    const wanted = this.wanted;
    try {
      const [sbs, cs] = await Promise.all([this.cri.listPodSandbox({}),
        this.cri.listContainers({})]);
      this.snap = index(sbs.items, cs.containers);
      this.have = wanted;
    } catch (e) {
      this.log(`runtime index: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** index builds a snapshot (pure). */
function index(sandboxes: readonly PodSandbox[], containers: readonly Container[]): Snapshot {
  const snap: Snapshot = { sandboxes: new Map(), containers: new Map() };
  const sbRank = new Map<string, [number, bigint]>();
  for (const s of sandboxes) {
    const key = `${s.labels[LABEL_POD_NAMESPACE] ?? ''}/${s.labels[LABEL_POD_NAME] ?? ''}`;
    const rank: [number, bigint] = [s.state === PodSandboxState.SANDBOX_READY ? 1 : 0,
      s.createdAt];
    if (better(rank, sbRank.get(key))) {
      sbRank.set(key, rank);
      snap.sandboxes.set(key, s.id);
    }
  }
  const cRank = new Map<string, [number, bigint]>();
  for (const c of containers) {
    const key = `${c.labels[LABEL_POD_NAMESPACE] ?? ''}/${c.labels[LABEL_POD_NAME] ?? ''}/` +
      `${c.labels[LABEL_CONTAINER_NAME] ?? ''}`;
    const rank: [number, bigint] = [c.state === ContainerState.CONTAINER_RUNNING ? 1 : 0,
      c.createdAt];
    if (better(rank, cRank.get(key))) {
      cRank.set(key, rank);
      snap.containers.set(key, { containerId: c.id, podSandboxId: c.podSandboxId });
    }
  }
  return snap;
}

function better(a: [number, bigint], b: [number, bigint] | undefined): boolean {
  return b === undefined || a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
}
