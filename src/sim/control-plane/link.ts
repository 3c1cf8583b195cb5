/**
 * SimLink: one simulated process's connection to the API server. Every request crosses it after
 * a seeded latency on the simulated clock (so requests of different processes interleave in
 * seed-chosen orders), and faults act on it:
 *
 * - slow(extraMs, forMs): requests sent in the next forMs take extraMs longer to arrive — a GC
 *   pause or a congested network. This is what makes a deposed leader's writes arrive after its
 *   successor took over: exactly what fencing must refuse.
 * - failRate: each request fails with that probability, half of them before reaching the API
 *   server (UNAVAILABLE: nothing happened) and half after it acted, the answer lost
 *   (DEADLINE_EXCEEDED: the outcome is unknown) — the case that makes a careless controller
 *   create twice.
 * - breakWatches(): every open watch ends, as when an API server restarts; informers re-watch.
 * - kill(): the process is gone. Requests already on the wire still arrive (they were sent);
 *   nothing new is sent, no answer comes back, every watch ends. Calls never settle: a dead
 *   process runs no more code, so its promise chains simply stop.
 */
import type { KubeList, KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';
import type { Prng } from '../../base/prng.js';
import type { ComponentApi, Ns } from '../../client/component-api.js';
import { DeadlineRpcError, UnavailableRpcError } from '../../rpc/errors.js';
import type {
  ApiResource, ApiWatch, CallOptions, DeleteOptions, DeleteResult, GetOptions, ListOptions,
  PatchOptions, PatchType, WatchEvent, WatchOptions, WriteOptions,
} from '../../client/types.js';

/** LinkOptions: the normal latency range, in virtual ms, and the request failure rate. */
export interface LinkOptions {
  latencyMsMax: number;
  /** Probability in [0, 1) that a request fails (see the file comment). */
  failRate?: number;
  /** Counts the failures injected (shared by every link of a cluster). */
  stats?: LinkStats;
}

/** LinkStats: requests lost before the API server, answers lost after it acted. */
export interface LinkStats {
  lostRequests: number;
  lostAnswers: number;
}

/** SimLink implements ComponentApi over another ComponentApi (a RegistryApi). */
export class SimLink implements ComponentApi {
  private dead = false;
  private slowUntilMs = 0;
  private slowExtraMs = 0;
  private readonly watches = new Set<ApiWatch<KubeObject>>();

  constructor(
    private readonly inner: ComponentApi,
    private readonly clock: Clock,
    private readonly prng: Prng,
    private readonly o: LinkOptions,
  ) {
    assert(o.latencyMsMax >= 0, 'latency must be ≥ 0');
  }

  /** alive: kill() has not been called. */
  get alive(): boolean {
    return !this.dead;
  }

  /** kill ends the process's traffic for good (see the file comment). */
  kill(): void {
    this.dead = true;
    for (const w of this.watches) w.stop();
    this.watches.clear();
  }

  /** breakWatches ends every open watch (the watcher sees its watch end and starts another). */
  breakWatches(): void {
    for (const w of this.watches) w.stop();
    this.watches.clear();
  }

  /** slow adds extraMs to requests sent during the next forMs. */
  slow(extraMs: number, forMs: number): void {
    assert(extraMs >= 0 && forMs >= 0, 'slow: negative time');
    this.slowUntilMs = this.clock.nowMs() + forMs;
    this.slowExtraMs = extraMs;
  }

  get<T extends KubeObject>(r: ApiResource, ns: Ns, name: string, o?: GetOptions): Promise<T> {
    return this.send(() => this.inner.get<T>(r, ns, name, o));
  }

  list<T extends KubeObject>(r: ApiResource, ns: Ns, o?: ListOptions): Promise<KubeList<T>> {
    return this.send(() => this.inner.list<T>(r, ns, o));
  }

  create<T extends KubeObject>(r: ApiResource, ns: Ns, obj: T, o?: WriteOptions): Promise<T> {
    return this.send(() => this.inner.create<T>(r, ns, obj, o));
  }

  update<T extends KubeObject>(r: ApiResource, ns: Ns, obj: T, o?: WriteOptions): Promise<T> {
    return this.send(() => this.inner.update<T>(r, ns, obj, o));
  }

  patch<T extends KubeObject>(
    r: ApiResource, ns: Ns, name: string, type: PatchType, body: string | object, o?: PatchOptions,
  ): Promise<T> {
    return this.send(() => this.inner.patch<T>(r, ns, name, type, body, o));
  }

  delete<T extends KubeObject>(r: ApiResource, ns: Ns, name: string, o?: DeleteOptions):
    Promise<DeleteResult<T>> {
    return this.send(() => this.inner.delete<T>(r, ns, name, o));
  }

  bind(ns: string, pod: string, nodeName: string, o?: CallOptions): Promise<void> {
    return this.send(() => this.inner.bind(ns, pod, nodeName, o));
  }

  watch<T extends KubeObject>(r: ApiResource, ns: Ns, o?: WatchOptions): ApiWatch<T> {
    if (this.dead) return new DeadWatch<T>();
    const w = this.inner.watch<T>(r, ns, o);
    this.watches.add(w as ApiWatch<KubeObject>);
    return {
      stop: () => {
        this.watches.delete(w as ApiWatch<KubeObject>);
        w.stop();
      },
      [Symbol.asyncIterator]: () => w[Symbol.asyncIterator](),
    };
  }

  /** send delivers a request after the latency, and its answer unless the process died. */
  private async send<R>(call: () => Promise<R>): Promise<R> {
    if (this.dead) return never<R>();
    await this.delay();
    const fail = this.prng.float() < (this.o.failRate ?? 0) ? this.prng.int(2) : -1;
    if (fail === 0) {
      if (this.o.stats) this.o.stats.lostRequests++;
      throw new UnavailableRpcError('simulated: the request was lost');
    }
    let out: R;
    try {
      out = await call();
    } catch (e) {
      if (this.dead) return never<R>();
      throw e;
    }
    if (this.dead) return never<R>();
    if (fail === 1) {
      if (this.o.stats) this.o.stats.lostAnswers++;
      throw new DeadlineRpcError('simulated: the answer was lost');
    }
    return out;
  }

  private delay(): Promise<void> {
    let ms = this.prng.int(this.o.latencyMsMax + 1);
    if (this.clock.nowMs() < this.slowUntilMs) ms += this.slowExtraMs;
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }
}

function never<R>(): Promise<R> {
  return new Promise<R>(() => {});
}

/** DeadWatch is a dead process's watch: it ends at once. */
class DeadWatch<T extends KubeObject> implements ApiWatch<T> {
  stop(): void {}

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    return { next: () => Promise.resolve({ done: true, value: undefined }) };
  }
}
