/**
 * Reflector keeps a sink in step with one resource (client-go's tools/cache Reflector): list (in
 * pages of 500) → replace the sink's content → watch from the list's resourceVersion with
 * bookmarks. A watch that ends cleanly (the server's timeout) is reopened from the last
 * resourceVersion seen, so nothing is missed or repeated; 410 Gone/Expired (that revision was
 * compacted) means events were lost: list again and replace. Any other error (no API server
 * reachable, a list that missed its deadline) is retried after a bounded, jittered backoff on
 * the injected clock — and a relist is retried the same way it failed (see relistFromCache).
 */
import type { KubeObject } from '../../api/meta.js';
import { isStatusError, isTooLargeResourceVersion } from '../../api/errors.js';
import { AssertionError } from '../../base/assert.js';
import { CancellableSleep } from '../../base/cancellable-sleep.js';
import type { Clock } from '../../base/clock.js';
import type { Prng } from '../../base/prng.js';
import type { ComponentApi } from '../component-api.js';
import type { ApiResource, ApiWatch, WatchEvent } from '../types.js';

/** ReflectorSink receives what the reflector learns, in order. */
export interface ReflectorSink<T extends KubeObject> {
  /** replace: a full list at resourceVersion rv replaces everything known. */
  replace(items: T[], rv: string): void;
  /** apply: one watch event (BOOKMARK included: it only advances the resourceVersion). */
  apply(e: WatchEvent<T>): void;
}

/** ReflectorBackoff: delays after failures, doubling from initialMs up to maxMs (jittered). */
export interface ReflectorBackoff {
  initialMs: number;
  maxMs: number;
}

/** DEFAULT_REFLECTOR_BACKOFF: short, because ApiClient already fails over between API servers;
 *  this is for when none answers. client-go uses 800 ms → 30 s; k8ts targets sub-second
 *  recovery. */
export const DEFAULT_REFLECTOR_BACKOFF: ReflectorBackoff = { initialMs: 100, maxMs: 5_000 };

/** LIST_PAGE_SIZE: objects per list page (client-go's pager default). */
export const LIST_PAGE_SIZE = 500;

/** LIST_PAGES_MAX bounds one list (5 million objects): more means a continue-token loop. */
export const LIST_PAGES_MAX = 10_000;

/**
 * RELIST_TIMEOUT_MS: the deadline of an unpaged not-older-than relist — kube-apiserver's request
 * timeout (60 s), not the 5 s of other calls. Its whole cost is paid by the server at once
 * (a controller's relist of 30,000 pods: seconds of an API server's CPU under load), and a
 * client that gives up at 5 s and asks again makes it pay again for nothing: in a hollow run
 * the controller-manager's and kubelets' retried lists kept all three API servers busy with
 * answers nobody waited for, and no pod was created for minutes.
 */
export const RELIST_TIMEOUT_MS = 60_000;

/** SHORT_WATCH_MS: a watch that ends cleanly sooner than this without an event is a failure
 *  (client-go's "very short watch"), so a server that closes at once cannot make us spin. */
export const SHORT_WATCH_MS = 1_000;

/** WATCH_TIMEOUT_SECONDS: watches ask the server to end them after 5–10 min (jittered, as
 *  client-go), spreading re-watches of many clients over time. */
export const WATCH_TIMEOUT_SECONDS = { min: 300, max: 600 };

/** ReflectorOptions: what to list and watch, where to put it, and the injected clock/prng. */
export interface ReflectorOptions<T extends KubeObject> {
  api: ComponentApi;
  resource: ApiResource;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  sink: ReflectorSink<T>;
  clock: Clock;
  prng: Prng;
  log: (line: string) => void;
  pageSize?: number;
  backoff?: ReflectorBackoff;
}

/** Reflector: run() until stop(). */
export class Reflector<T extends KubeObject> {
  private stopped = false;
  private lastRv = '';
  /** The server said lastRv cannot be listed (410, or 504 "Too large resource version"): the
   *  next list reads the latest state (client-go's isLastSyncResourceVersionUnavailable). */
  private lastRvUnavailable = false;
  private watch: ApiWatch<T> | undefined;
  private pauses: CancellableSleep | undefined;
  private readonly name: string;

  constructor(private readonly o: ReflectorOptions<T>) {
    const r = o.resource;
    this.name = `${r.group === '' ? '' : `${r.group}/`}${r.version}/${r.resource}`;
  }

  /** lastResourceVersion: the revision of the newest list or event applied ("" before). */
  lastResourceVersion(): string {
    return this.lastRv;
  }

  /** run lists and watches until stop(); rejects only on a programmer error (assertion). */
  async run(): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.listAndReplace();
          needList = false;
        }
        if (this.stopped) return;
        if (await this.watchOnce()) failures = 0;
        else failures++;
      } catch (e) {
        if (e instanceof AssertionError) throw e;
        if (this.stopped) return;
        failures++;
        if (isGone(e)) {
          this.o.log(`${this.name}: ${messageOf(e)}; relisting`);
          needList = true;
          if (failures === 1) continue; // the first relist is immediate
        } else {
          this.o.log(`${this.name}: list/watch failed (${failures}x): ${messageOf(e)}`);
        }
      }
      if (failures > 0) await this.sleep(this.backoffMs(failures));
    }
  }

  /** stop ends the watch and any backoff; run() resolves soon after. */
  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    this.pauses?.cancel();
  }

  /** listAndReplace reads every page at one revision, then replaces the sink's content. */
  private async listAndReplace(): Promise<void> {
    const fromCache = this.lastRv !== '' && !this.lastRvUnavailable;
    const items = fromCache ? await this.relistFromCache() : await this.listAll();
    if (items === undefined) return;
    this.o.sink.replace(items.items, items.rv);
    this.lastRv = items.rv;
    this.lastRvUnavailable = false;
  }

  /**
   * relistFromCache: a relist after the watch's revision left the server's history asks for a
   * state not older than the last one seen, in one unpaged list — what client-go's reflector
   * does, so the API server answers it from its watch cache. A paged list with resourceVersion ""
   * is read from the store; when hundreds of kubelets relist at once (their API sessions dropped
   * together), each such list of their node's pods read every pod in the store and starved its
   * members into leader changes.
   *
   * Only an answer that this revision cannot be listed — 410 Expired, or 504 "Too large resource
   * version" (the server's cache did not reach it in time) — switches to the store's latest
   * state, at once (client-go's list()). Any other failure (a deadline missed under load, no
   * server reachable, 429) is thrown: run() backs off and asks the cache again. Falling back on
   * those turned an overloaded API server's slow cache lists into hundreds of store lists, each
   * reading every pod, and the store never recovered (a24245a's hollow run: 11,555 fallbacks).
   */
  private async relistFromCache(): Promise<{ items: T[]; rv: string } | undefined> {
    const { api, resource, namespace } = this.o;
    try {
      const res = await api.list<T>(resource, namespace, {
        ...this.selectors(), resourceVersion: this.lastRv, resourceVersionMatch: 'NotOlderThan',
        timeoutMs: RELIST_TIMEOUT_MS,
      });
      if (this.stopped) return undefined;
      return { items: res.items, rv: res.metadata.resourceVersion ?? '' };
    } catch (e) {
      if (this.stopped || !(isGone(e) || isTooLargeResourceVersion(e))) throw e;
      this.o.log(`${this.name}: list not older than ${this.lastRv} failed: ${messageOf(e)}; ` +
        'listing the latest state');
      this.lastRvUnavailable = true;
      return this.listAll();
    }
  }

  /** selectors: the label and field selectors every list of this reflector carries. */
  private selectors(): { labelSelector?: string; fieldSelector?: string } {
    return { labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector };
  }

  private async listAll(): Promise<{ items: T[]; rv: string } | undefined> {
    const { api, resource, namespace } = this.o;
    const sel = this.selectors();
    let limit = this.o.pageSize ?? LIST_PAGE_SIZE;
    const items: T[] = [];
    let rv = '';
    let cont = '';
    for (let page = 0; page < LIST_PAGES_MAX; page++) {
      try {
        const res = await api.list<T>(resource, namespace, { ...sel, limit, continue: cont });
        if (this.stopped) return undefined;
        if (page === 0) rv = res.metadata.resourceVersion ?? '';
        items.push(...res.items);
        cont = res.metadata.continue ?? '';
        if (cont === '') return { items, rv };
      } catch (e) {
        // The continue token expired (its revision compacted): read it all in one page.
        if (!isGone(e) || cont === '') throw e;
        this.o.log(`${this.name}: list continue expired; listing without pages`);
        items.length = 0;
        cont = '';
        limit = 0;
        page = -1;
      }
    }
    throw new Error(`${this.name}: list did not end within ${LIST_PAGES_MAX} pages`);
  }

  /** watchOnce watches from lastRv until the watch ends; false when it was a short one. */
  private async watchOnce(): Promise<boolean> {
    const { min, max } = WATCH_TIMEOUT_SECONDS;
    const w = this.o.api.watch<T>(this.o.resource, this.o.namespace, {
      resourceVersion: this.lastRv,
      allowWatchBookmarks: true,
      timeoutSeconds: this.o.prng.range(min, max),
      ...(this.o.labelSelector !== undefined ? { labelSelector: this.o.labelSelector } : {}),
      ...(this.o.fieldSelector !== undefined ? { fieldSelector: this.o.fieldSelector } : {}),
    });
    this.watch = w;
    const startMs = this.o.clock.nowMs();
    let events = 0;
    try {
      for await (const e of w) {
        if (this.stopped) break;
        this.o.sink.apply(e);
        this.lastRv = e.object.metadata.resourceVersion ?? this.lastRv;
        events++;
      }
    } finally {
      this.watch = undefined;
      w.stop();
    }
    return events > 0 || this.o.clock.nowMs() - startMs >= SHORT_WATCH_MS;
  }

  /** backoffMs: initialMs · 2^(failures-1), capped, then jittered to [½, 1] of that. */
  private backoffMs(failures: number): number {
    const b = this.o.backoff ?? DEFAULT_REFLECTOR_BACKOFF;
    const capMs = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(failures - 1, 30));
    return capMs / 2 + this.o.prng.float() * (capMs / 2);
  }

  private sleep(delayMs: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.pauses ??= new CancellableSleep(this.o.clock);
    return this.pauses.sleep(delayMs);
  }
}

/** isGone: the revision asked for is no longer available (410 Expired or Gone). */
export function isGone(e: unknown): boolean {
  return isStatusError(e) && e.code === 410;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
