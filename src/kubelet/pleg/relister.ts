/**
 * The pod lifecycle event generator (upstream's generic PLEG): once a period the node's
 * sandboxes and containers are listed in one pair of CRI calls, and only the pod workers whose
 * pod's instances changed since their own last look are woken. Without it every worker with a
 * running container polls the runtime itself every second (two list calls and a round of its
 * state machine per pod per second), which is most of what a node does while pods start and
 * all it does once they run. Workers report what each sync saw (seen()); a pod whose listed
 * instances (ids and states) differ from that is woken, again on each relist until its worker
 * has looked. Nothing is listed while the node runs no worker, except once at start.
 *
 * The last listing also tells a new worker that its pod has nothing in the runtime yet, so its
 * first sync need not list (startsEmpty): only this kubelet's worker of a pod makes instances
 * labelled with its uid, so a uid absent from a listing, and with no worker since that listing
 * began, still has none. Saves two list calls per new pod (of ~10 runtime calls in its start).
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

/** TOUCHED_MAX bounds the uids remembered as having had a worker since the last listing; past
 *  it the listing is dropped (new workers list for themselves until the next relist). */
export const TOUCHED_MAX = 2 * PODS_MAX;

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
  /** Bumped when a listing begins; `touched` records it per uid whose worker began or ended. */
  private generation = 0;
  private readonly touched = new Map<string, number>();
  /** The pods with instances in the last listing, and the generation it began in. */
  private listed: { generation: number; uids: Set<string> } | undefined;

  constructor(private readonly d: RelisterDeps) {}

  /** start lists once (so the first pods' workers can start empty) and then every period. */
  start(): void {
    this.timer = this.d.clock.setInterval(() => void this.relist(), this.d.periodMs);
    void this.relist(true);
  }

  /**
   * startsEmpty: whether a worker starting now for uid can take "no instances" for its first
   * observation without listing — uid was absent from the last listing and no worker of uid
   * began or ended since that listing began. Records that uid now has a worker.
   */
  startsEmpty(uid: string): boolean {
    const empty = this.listed !== undefined && !this.listed.uids.has(uid) &&
      !this.touched.has(uid);
    this.touch(uid);
    return empty;
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** seen records what uid's worker observed at the end of a sync. */
  seen(uid: string, observed: ObservedPod): void {
    assert(this.seenBy.has(uid) || this.seenBy.size < PODS_MAX, 'relister: too many pods');
    this.seenBy.set(uid, fingerprintOf(observed));
    this.touch(uid);
  }

  /** forget drops a pod whose worker is done. */
  forget(uid: string): void {
    this.seenBy.delete(uid);
    this.touch(uid);
  }

  private touch(uid: string): void {
    this.touched.set(uid, this.generation);
    if (this.touched.size <= TOUCHED_MAX) return;
    this.listed = undefined;
    this.touched.clear();
  }

  /** relist lists the node once and wakes the workers whose pods changed (one at a time);
   *  `always` lists even while no worker runs (at start). */
  async relist(always = false): Promise<void> {
    const workers = this.d.workers();
    if (this.busy || (workers.length === 0 && !always)) return;
    this.busy = true;
    const generation = ++this.generation;
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
      this.remember(generation, new Set(byPod.keys()));
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

  /** remember keeps a listing that began in `generation`; a uid touched before it began and
   *  without a worker now is fully described by it, so it need not be remembered any more. */
  private remember(generation: number, uids: Set<string>): void {
    this.listed = { generation, uids };
    const live = new Set(this.d.workers());
    for (const [uid, g] of this.touched) {
      if (g < generation && !live.has(uid)) this.touched.delete(uid);
    }
  }
}
