/**
 * Mirror pods (upstream's mirror client + the kubelet's syncPod mirror step): every static pod
 * gets a mirror pod in the API, so kubectl and controllers see it; a mirror pod whose static pod
 * changed (other hash) or is gone is deleted (grace 0, uid precondition) and the current one
 * created. Syncs are serialized and coalesced: a sync asked for while one runs runs once more
 * after it. Mirror pods need the Node's uid (their owner), so nothing happens before the node
 * is registered; static pods themselves run regardless.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import { isStatusError } from '../../api/errors.js';
import type { ComponentApi } from '../../client/component-api.js';
import { PODS } from '../resources.js';
import { fullName, mirrorMatches, mirrorPodFor } from './static-pods.js';

/** MirrorPodsDeps: the API, the node, and the pod manager's current view. */
export interface MirrorPodsDeps {
  api: ComponentApi;
  nodeName: string;
  /** The registered Node's uid ("" before registration). */
  nodeUid(): string;
  statics(): Pod[];
  mirrors(): Pod[];
  /** A mirror pod was created (the status manager can now write the static pod's status). */
  created?(staticPod: Pod): void;
  log(line: string): void;
}

/** MirrorPods keeps the API's mirror pods in line with the static pods. */
export class MirrorPods {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly d: MirrorPodsDeps) {}

  /** sync schedules a sync; resolves when a sync that started after this call has ended. */
  sync(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.syncOnce();
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    const nodeUid = this.d.nodeUid();
    if (nodeUid === '') return;
    const statics = new Map(this.d.statics().map((p) => [fullName(p), p]));
    const mirrors = new Map(this.d.mirrors().map((p) => [fullName(p), p]));
    for (const [name, mirror] of mirrors) {
      const s = statics.get(name);
      if (s !== undefined && mirrorMatches(mirror, s)) continue;
      if (mirror.metadata.deletionTimestamp === undefined || s === undefined) {
        await this.quietly(`delete mirror pod ${name}`, () => this.d.api.delete(PODS,
          mirror.metadata.namespace, mirror.metadata.name ?? '', { gracePeriodSeconds: 0,
            preconditions: { uid: mirror.metadata.uid ?? '' } }));
      }
      mirrors.delete(name);
    }
    for (const [name, s] of statics) {
      if (mirrors.has(name)) continue;
      const ok = await this.quietly(`create mirror pod ${name}`, () => this.d.api.create(PODS,
        s.metadata.namespace, mirrorPodFor(s, { name: this.d.nodeName, uid: nodeUid })));
      if (ok) this.d.created?.(s);
    }
  }

  /** quietly runs one write; failures are logged (the next sync retries). */
  private async quietly(what: string, f: () => Promise<unknown>): Promise<boolean> {
    try {
      await f();
      return true;
    } catch (e) {
      if (isStatusError(e) && (e.code === 404 || e.code === 409)) {
        // Already gone, or already there (the informer has not shown it yet).
        return e.code === 409 && e.reason === 'AlreadyExists';
      }
      this.d.log(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }
}
