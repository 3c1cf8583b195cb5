/**
 * The pod lifecycle event generator (upstream's generic PLEG): once a period the node's
 * sandboxes and containers are listed in one pair of CRI calls, and only the pod workers whose
 * pod's instances changed since their own last look are woken. Without it every worker with a
 * running container polls the runtime itself every second (two list calls and a round of its
 * state machine per pod per second), which is most of what a node does while pods start and
 * all it does once they run. Workers report what each sync saw (seen()); a pod whose listed
 * instances (ids and states) differ from that is woken, again on each relist until its worker
 * has looked. Nothing is listed while the node runs no worker.
 */
import { assert } from '../../base/assert.js';
import type { Clock, Timer } from '../../base/clock.js';
import { PodSandboxState, type CriRuntime } from '../cri/types.js';
import { containerStateOf } from '../pod/cri-observe.js';
import { LABEL_POD_UID } from '../pod/cri-config.js';
import type { ObservedPod } from '../pod/observed.js';
import { PODS_MAX } from '../sources/pod-manager.js';

/** fingerprint: a pod's instances as ids and states, in one comparable string (pure). */
export function fingerprint(sandboxes: readonly { id: string; ready: boolean }[],
  containers: readonly { id: string; state: string }[]): string {
  const parts = [...sandboxes.map((s) => `s:${s.id}:${s.ready ? 'ready' : 'notready'}`),
    ...containers.map((c) => `c:${c.id}:${c.state}`)];
  return parts.sort().join(',');
}

/** fingerprintOf: the fingerprint of what a worker observed. */
export function fingerprintOf(o: ObservedPod): string {
  return fingerprint(o.sandboxes, o.containers);
}

/** RelisterDeps: the runtime, time, who runs, how to wake a worker. */
export interface RelisterDeps {
  cri: Pick<CriRuntime, 'listPodSandbox' | 'listContainers'>;
  clock: Clock;
  periodMs: number;
  /** The uids that have a worker now (nothing is listed while there are none). */
  workers(): readonly string[];
  wake(uid: string): void;
  log(line: string): void;
}

/** Relister — see the file comment. */
export class Relister {
  private readonly seenBy = new Map<string, string>();
  private timer: Timer | undefined;
  private busy = false;

  constructor(private readonly d: RelisterDeps) {}

  start(): void {
    this.timer = this.d.clock.setInterval(() => void this.relist(), this.d.periodMs);
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** seen records what uid's worker observed at the end of a sync. */
  seen(uid: string, observed: ObservedPod): void {
    assert(this.seenBy.has(uid) || this.seenBy.size < PODS_MAX, 'relister: too many pods');
    this.seenBy.set(uid, fingerprintOf(observed));
  }

  /** forget drops a pod whose worker is done. */
  forget(uid: string): void {
    this.seenBy.delete(uid);
  }

  /** relist lists the node once and wakes the workers whose pods changed (one at a time). */
  async relist(): Promise<void> {
    const workers = this.d.workers();
    if (this.busy || workers.length === 0) return;
    this.busy = true;
    try {
      const [sbs, cs] = await Promise.all([this.d.cri.listPodSandbox({}),
        this.d.cri.listContainers({})]);
      const byPod = new Map<string, { sandboxes: { id: string; ready: boolean }[];
        containers: { id: string; state: string }[] }>();
      const of = (uid: string) => {
        let e = byPod.get(uid);
        if (e === undefined) byPod.set(uid, e = { sandboxes: [], containers: [] });
        return e;
      };
      for (const s of sbs.items) {
        of(s.labels[LABEL_POD_UID] ?? '').sandboxes.push(
          { id: s.id, ready: s.state === PodSandboxState.SANDBOX_READY });
      }
      for (const c of cs.containers) {
        of(c.labels[LABEL_POD_UID] ?? '').containers.push(
          { id: c.id, state: containerStateOf(c.state) });
      }
      for (const uid of workers) {
        const seen = this.seenBy.get(uid);
        if (seen === undefined) continue; // its first sync has not ended yet
        const now = byPod.get(uid);
        if (fingerprint(now?.sandboxes ?? [], now?.containers ?? []) !== seen) this.d.wake(uid);
      }
    } catch (e) {
      this.d.log(`relist: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.busy = false;
    }
  }
}
