/**
 * The event recorder (client-go's tools/record, the core/v1 flavour kubectl describe reads).
 * event() only appends to a bounded queue and returns: a controller must never wait for, or fail
 * because of, an Event. One writer drains the queue in order, so aggregation sees its own
 * writes: a repeat of the same object uid + type + reason + message from the same component
 * within 10 minutes patches count+1 and lastTimestamp of the Event already written (what
 * kubectl shows as "(x3 over 2m)") instead of creating another. Failures are retried a few
 * times (for up to 2 minutes while no API server can be reached), then dropped and logged.
 * Everything is bounded: queue, retries, aggregation cache.
 *
 * Creates leave in batches: the first Event of a batch waits lingerMs for company, then what is
 * queued goes in one CreateBatch call (up to batchMax Events, each still its own create), so a
 * burst of pods — four or five Events each, from the scheduler and the kubelets — costs a call
 * per few dozen Events instead of one each. Nobody waits for an Event (it is already recorded,
 * with its time), so the wait costs nothing but 50 ms before `kubectl describe` shows it.
 * Measured (bench/lib/events-micro.ts, 150 Events of 50 pods in 0.5 s, one process): CPU per
 * Event 2.2-4.0 ms as single creates, 1.4-2.5 ms batched without the wait (batches of ~2-3: an
 * in-process round trip is short), 0.75-1.25 ms with it (9-15 calls).
 *
 * Each Event of a batch settles alone: a refused one is dropped and logged, the others are
 * written; one the API was too busy for (429) and the Events of a call that failed as a whole
 * are sent again (the same Events, same names: one the failed call did store answers
 * AlreadyExists and counts as written, as does any AlreadyExists: see alreadyWritten). The server runs a batch's creates a few at a time
 * (CREATE_BATCH_PARALLEL), so the call has a long deadline of its own.
 *
 * Writes are paced by a token bucket (50/s, burst 100: the event QPS of kube-scheduler's own
 * events client and the kubelet's --event-qps/--event-burst defaults), so events take a bounded
 * share of the API's write capacity and never crowd out the work they describe (binds, pod
 * creates): under a burst the queue fills and further events are dropped, counted, and logged
 * as a count rather than line by line.
 *
 * Events also yield to the writes pods wait on: a component registers a busy signal
 * (EventRecorder.yieldTo: the kubelet's starting pods and pending status writes, the scheduler's
 * queued pods and binds in flight), and while any is busy the queue is held, until the
 * component is idle or its oldest Event has waited holdMaxMs (holdDelayMs, the pure rule). On
 * two cores a 100-pod burst is CPU-bound, and each Event is a create in an API server and a
 * store transaction with a lease: written during the burst, the 4 Events of a pod took the CPU
 * its bind and status writes waited for. An Event keeps the time it was recorded (its name and
 * timestamps), so `kubectl describe` still shows when things happened.
 */
import { status } from '@grpc/grpc-js';
import type { Event } from '../../api/core/v1/event.js';
import { isStatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';
import { RpcError } from '../../rpc/errors.js';
import type { ComponentApi } from '../component-api.js';
import { BucketRateLimiter } from '../workqueue/rate-limiter.js';
import type { EventRecorder, EventType } from './types.js';

/** EVENTS_RESOURCE is core/v1 events. */
export const EVENTS_RESOURCE = { group: '', version: 'v1', resource: 'events' };

/** Limits (TigerBeetle: a limit on everything). */
export const EVENT_LIMITS = {
  /** Events waiting to be written; more are dropped (and logged) — events are best effort. */
  queueMax: 1_000,
  /** Attempts per event (client-go: 12 over minutes; ours are short, the queue must move). */
  attemptsMax: 3,
  /** Delay before a retry, times the attempt number (doubled per attempt while unreachable). */
  retryDelayMs: 100,
  /** While no API server can be reached, an Event is tried for this long (see retryIn)... */
  unreachableMaxMs: 120_000,
  /** ...with at most this long between attempts. */
  unreachableDelayMaxMs: 5_000,
  /** Recent events remembered for aggregation (least recently used forgotten first). */
  aggregateMax: 4_096,
  /** A repeat within this long bumps the existing Event (client-go's 10 minutes). */
  aggregateWindowMs: 10 * 60_000,
  /** Event writes per second, sustained (see the file comment). */
  qps: 50,
  /** Event writes allowed at once before the pace applies. */
  burst: 100,
  /** While the queue stays full, a count of the dropped events is logged every this many. */
  dropLogEvery: 1_000,
  /** Events per CreateBatch call (the server takes up to 256, and runs a few at once). */
  batchMax: 50,
  /** Deadline of a CreateBatch call: its creates run a few at a time behind a burst's writes. */
  batchTimeoutMs: 30_000,
  /** How long the first Event of a batch waits for others (with CreateBatch; see above). */
  lingerMs: 50,
  /** ...and how long once the pace made it wait for a token: tokens for ~10 Events accrue, so
   *  a held queue longer than the burst leaves in calls of ~10, not one call per token. */
  pacedLingerMs: 200,
  /** Longest an Event is held while its component is busy (see holdDelayMs). */
  holdMaxMs: 2_000,
  /** While held, the busy signals are read again this often (they are counters: cheap). */
  holdPollMs: 50,
  /** Busy signals registered at once (one per component term; more is a leak). */
  busySignalsMax: 64,
} as const;

/**
 * holdDelayMs: how long the sink waits before it sends anything more (0: send now). It holds
 * while a component of its process is busy with work pods wait on, but never an Event that has
 * already waited holdMaxMs (queued at oldestQueuedMs), and never once the sink is stopping.
 * The wait is cut into holdPollMs steps so the sink notices an idle component soon.
 */
export function holdDelayMs(s: { nowMs: number; oldestQueuedMs: number; busy: boolean;
  stopping: boolean }): number {
  if (s.stopping || !s.busy) return 0;
  const leftMs = EVENT_LIMITS.holdMaxMs - (s.nowMs - s.oldestQueuedMs);
  return leftMs <= 0 ? 0 : Math.min(EVENT_LIMITS.holdPollMs, leftMs);
}

/** RecorderDeps: time, identity of this process, logging. */
export interface RecorderDeps {
  clock: Clock;
  wallMs: () => number;
  /** Host name: Event.source.host and reportingInstance. */
  host: string;
  log: (line: string) => void;
  /**
   * Uniform [0, 1): the sub-millisecond part of Event names (default Math.random; the sim
   * passes its seeded one). See uniqueHexNs for why names need more than the wall ms.
   */
  random?: () => number;
}

interface Pending {
  component: string;
  regarding: KubeObject;
  type: EventType;
  reason: string;
  message: string;
  wallMs: number;
  /** When it was queued (clock ms): the hold and the linger count from here. */
  queuedMs: number;
}

/** BatchItem: an event of a batch and the Event made for it once (kept across retries). */
interface BatchItem {
  p: Pending;
  ev: Event;
}

/** Written: an Event we wrote, for aggregation. */
interface Written {
  namespace: string;
  name: string;
  count: number;
  atMs: number;
}

/** EventSink queues and writes the events of every recorder of one process. */
export class EventSink {
  private readonly queue: Pending[] = [];
  /** Map order is recency order: re-inserted on use, the oldest evicted first. */
  private readonly recent = new Map<string, Written>();
  private draining = false;
  private stopped = false;
  private lastNs = 0n;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly pace: BucketRateLimiter;
  private readonly random: () => number;
  /** Events dropped because the queue was full, since the last count was logged. */
  private droppedUnlogged = 0;
  /** A drop was logged and the queue has not been empty since. */
  private dropRun = false;
  /** Events dropped because the queue was full, in all. */
  private droppedTotal = 0;
  /** The server answered CreateBatch with UNIMPLEMENTED (an older API server): creates alone. */
  private batchUnsupported = false;
  /** The components' busy signals (yieldTo): while one says busy, the queue is held. */
  private readonly busySignals = new Set<() => boolean>();

  constructor(
    private readonly api: ComponentApi,
    private readonly deps: RecorderDeps,
  ) {
    this.pace = new BucketRateLimiter(deps.clock, EVENT_LIMITS.qps, EVENT_LIMITS.burst);
    this.random = deps.random ?? Math.random;
  }

  /** dropped: events refused because the queue was full, since this sink was made. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** recorder returns the EventRecorder of one component. */
  recorder(component: string): EventRecorder {
    assert(component !== '', 'an event recorder needs a component name');
    return {
      event: (regarding, type, reason, message) =>
        this.enqueue({ component, regarding, type, reason, message, wallMs: this.deps.wallMs(),
          queuedMs: this.deps.clock.nowMs() }),
      yieldTo: (busy) => this.yieldTo(busy),
    };
  }

  /** yieldTo registers a busy signal (see the file comment); the result unregisters it. */
  yieldTo(busy: () => boolean): () => void {
    assert(this.busySignals.size < EVENT_LIMITS.busySignalsMax,
      `event sink: more than ${EVENT_LIMITS.busySignalsMax} busy signals`);
    const signal = (): boolean => busy();
    this.busySignals.add(signal);
    return () => {
      this.busySignals.delete(signal);
    };
  }

  /** flush resolves once every queued event has been written or dropped. */
  flush(): Promise<void> {
    if (!this.draining && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** stop refuses new events and resolves once the queued ones are written or dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.flush();
  }

  private enqueue(p: Pending): void {
    if (this.stopped) return;
    if (p.regarding.metadata.name === undefined || p.regarding.metadata.name === '') {
      this.deps.log(`event ${p.reason} dropped: the object has no name`);
      return;
    }
    if (this.queue.length >= EVENT_LIMITS.queueMax) {
      this.countDrop(p);
      return;
    }
    this.queue.push(p);
    if (!this.draining) void this.drain();
  }

  /** countDrop: the first drop of a run of them is logged with what it was, the rest as counts
   *  (a line per event would be thousands of log writes in a burst). */
  private countDrop(p: Pending): void {
    this.droppedTotal++;
    if (!this.dropRun) {
      this.dropRun = true;
      this.deps.log(`event queue full (${EVENT_LIMITS.queueMax}): dropped ${describe(p)}` +
        '; further drops are counted');
      return;
    }
    if (++this.droppedUnlogged >= EVENT_LIMITS.dropLogEvery) this.logDrops();
  }

  /** logDrops logs the drops counted since the last such line. */
  private logDrops(): void {
    if (this.droppedUnlogged > 0) {
      this.deps.log(`event queue full (${EVENT_LIMITS.queueMax}): dropped ` +
        `${this.droppedUnlogged} more events (${this.droppedTotal} since start)`);
    }
    this.droppedUnlogged = 0;
  }

  /** drain writes queued events in order and at the paced rate, a batch of creates or one
   *  aggregating patch at a time, until the queue is empty. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const holdMs = this.holdMs();
        if (holdMs > 0) {
          await this.sleep(holdMs);
          continue;
        }
        // Once stopping, what is queued goes out unpaced: shutdown must not take 20 s.
        const waitMs = this.stopped ? 0 : this.pace.when('');
        if (waitMs > 0) await this.sleep(waitMs);
        const lingerMs = this.lingerMs(waitMs > 0);
        if (lingerMs > 0) await this.sleep(lingerMs);
        const batch = this.takeBatch();
        if (batch.length === 1 || !this.canBatch()) {
          for (const p of batch) await this.writeWithRetries(p);
        } else {
          await this.createBatch(batch);
        }
      }
    } finally {
      this.draining = false;
      this.logDrops();
      this.dropRun = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /**
   * takeBatch takes the head of the queue (its token is taken), and after it, while tokens are
   * there (the last one taken may be owed), the next events that are new Events (not repeats
   * to aggregate) with aggregation keys of their own in the batch: a repeat must see the create
   * it repeats.
   */
  private takeBatch(): Pending[] {
    const head = this.queue.shift();
    assert(head !== undefined, 'takeBatch on an empty queue');
    const nowMs = this.deps.clock.nowMs();
    if (!this.canBatch() || this.aggregated(head, nowMs) !== undefined) return [head];
    const keys = new Set([aggregationKey(head)]);
    const out = [head];
    while (out.length < EVENT_LIMITS.batchMax && this.queue.length > 0) {
      const p = this.queue[0]!;
      const key = aggregationKey(p);
      if (keys.has(key) || this.aggregated(p, nowMs) !== undefined) break;
      out.push(p);
      keys.add(key);
      this.queue.shift();
      // The token is taken even when it is owed: the next batch waits for it (the pace holds).
      if (!this.stopped && this.pace.when('') > 0) break;
    }
    return out;
  }

  /** holdMs: holdDelayMs for the queue's head (the oldest Event) and the busy signals. */
  private holdMs(): number {
    const head = this.queue[0];
    if (head === undefined || this.busySignals.size === 0) return 0;
    let busy = false;
    for (const signal of this.busySignals) {
      if (signal()) {
        busy = true;
        break;
      }
    }
    return holdDelayMs({ nowMs: this.deps.clock.nowMs(), oldestQueuedMs: head.queuedMs, busy,
      stopping: this.stopped });
  }

  /** lingerMs: how long the next batch waits for company — pacedLingerMs after a wait for a
   *  token (tokens for the next Events accrue meanwhile), else what is left of lingerMs since
   *  its first Event was queued (one that was held has had its wait) — when batches can be
   *  sent, the queue does not fill one already, and the sink is not stopping. */
  private lingerMs(paced: boolean): number {
    const head = this.queue[0];
    if (head === undefined || !this.canBatch() || this.stopped ||
      this.queue.length >= EVENT_LIMITS.batchMax) return 0;
    if (paced) return EVENT_LIMITS.pacedLingerMs;
    return Math.max(0, EVENT_LIMITS.lingerMs - (this.deps.clock.nowMs() - head.queuedMs));
  }

  /** canBatch: the API offers CreateBatch and the server did not refuse it. */
  private canBatch(): boolean {
    return this.api.createBatch !== undefined && !this.batchUnsupported;
  }

  /**
   * createBatch creates the Events of ps in CreateBatch calls: each result settles its own
   * Event (written, or refused and dropped); Events left by a failed call are sent again, as
   * retryIn says. AlreadyExists on a retry is the failed call's own create: written.
   */
  private async createBatch(ps: Pending[]): Promise<void> {
    let left = ps.map((p) => ({ p, ev: this.newEvent(p) }));
    const firstMs = this.deps.clock.nowMs();
    for (let attempt = 1; left.length > 0; attempt++) {
      const failed = await this.sendBatch(left, attempt);
      if (failed === undefined) return; // the server has no CreateBatch: sent one by one
      left = failed.filter((f) => f.err !== undefined).map((f) => f.item);
      const err = failed.find((f) => f.err !== undefined)?.err;
      if (left.length === 0 || err === undefined) return;
      const delayMs = this.retryIn(err, attempt, firstMs);
      if (delayMs === undefined) {
        for (const { p } of left) {
          this.deps.log(`event dropped after ${attempt} attempt(s): ${describe(p)}: ${err.message}`);
        }
        return;
      }
      await this.sleep(delayMs);
    }
  }

  /**
   * sendBatch makes one CreateBatch call: remembers what was written, logs what the API
   * refused, and returns the Events to send again (with why); undefined when the server has no
   * CreateBatch (then they went one by one).
   */
  private async sendBatch(items: BatchItem[], attempt: number):
    Promise<{ item: BatchItem; err?: Error }[] | undefined> {
    const send = this.api.createBatch;
    assert(send !== undefined, 'sendBatch without createBatch');
    let results: (KubeObject | Error)[];
    try {
      results = await send.call(this.api,
        items.map(({ ev }) => ({ r: EVENTS_RESOURCE, ns: ev.metadata.namespace, obj: ev })),
        { timeoutMs: EVENT_LIMITS.batchTimeoutMs });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (err instanceof RpcError && err.code === status.UNIMPLEMENTED) {
        this.batchUnsupported = true;
        for (const { p } of items) await this.writeWithRetries(p);
        return undefined;
      }
      // A refusal of the whole call (forbidden, invalid) would refuse each create again.
      if (!retryable(err)) return items.map((item) => this.refused(item, err, attempt));
      return items.map((item) => ({ item, err }));
    }
    return items.map((item, i) => {
      const r = results[i] ?? new Error('CreateBatch: no result');
      if (r instanceof Error && !alreadyWritten(r)) {
        return retryable(r) ? { item, err: r } : this.refused(item, r, attempt);
      }
      this.rememberCreated(item.p, r instanceof Error ? item.ev : r, item.ev);
      return { item };
    });
  }

  /** refused logs an Event the API refused (retrying won't help): dropped. */
  private refused(item: BatchItem, err: Error, attempt: number): { item: BatchItem } {
    this.deps.log(`event dropped after ${attempt} attempt(s): ${describe(item.p)}: ${err.message}`);
    return { item };
  }

  private async writeWithRetries(p: Pending): Promise<void> {
    const firstMs = this.deps.clock.nowMs();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.write(p);
        return;
      } catch (e) {
        const delayMs = this.retryIn(e, attempt, firstMs);
        if (delayMs === undefined) {
          const why = e instanceof Error ? e.message : String(e);
          this.deps.log(`event dropped after ${attempt} attempt(s): ${describe(p)}: ${why}`);
          return;
        }
        await this.sleep(delayMs);
      }
    }
  }

  /**
   * retryIn: how long to wait before another attempt after err (attempt number `attempt`, the
   * first made at firstMs), or undefined to give up. An API that answered it was too busy (429,
   * 504) gets attemptsMax attempts. An API nobody reached (no answer: every server refused the
   * connection or timed out) gets attempts a doubling delay apart (at most
   * unreachableDelayMaxMs) for unreachableMaxMs: a kubelet starts before the API servers it
   * runs as static pods, and with attemptsMax 100 ms apart its first Events (the static pods'
   * Pulling, Pulled, Created, Started; kube-proxy's too) were dropped within 0.3 s — 23 per master
   * kubelet and 5 per worker's at every start of the nodes bench's cluster (18:10 UTC).
   * Upstream's sink tries an Event 12 times 10 s apart, holding the queue behind it as this one
   * does. A stopping sink gives up after attemptsMax, so shutdown stays short.
   */
  private retryIn(err: unknown, attempt: number, firstMs: number): number | undefined {
    if (!retryable(err)) return undefined;
    if (isStatusError(err) || this.stopped) {
      return attempt < EVENT_LIMITS.attemptsMax ? EVENT_LIMITS.retryDelayMs * attempt : undefined;
    }
    const delayMs = Math.min(EVENT_LIMITS.retryDelayMs * 2 ** Math.min(attempt - 1, 20),
      EVENT_LIMITS.unreachableDelayMaxMs);
    const elapsedMs = this.deps.clock.nowMs() - firstMs;
    return elapsedMs + delayMs <= EVENT_LIMITS.unreachableMaxMs ? delayMs : undefined;
  }

  /** aggregated: the recent Event that p repeats (within the window), if any. */
  private aggregated(p: Pending, nowMs: number): Written | undefined {
    const prev = this.recent.get(aggregationKey(p));
    return prev !== undefined && nowMs - prev.atMs < EVENT_LIMITS.aggregateWindowMs
      ? prev : undefined;
  }

  /** write patches the aggregated Event when there is a recent one, else creates one. */
  private async write(p: Pending): Promise<void> {
    const key = aggregationKey(p);
    const nowMs = this.deps.clock.nowMs();
    const prev = this.aggregated(p, nowMs);
    if (prev !== undefined) {
      const body = { count: prev.count + 1, lastTimestamp: rfc3339Seconds(p.wallMs) };
      try {
        await this.api.patch(EVENTS_RESOURCE, prev.namespace, prev.name,
          'application/merge-patch+json', body);
        this.remember(key, { ...prev, count: prev.count + 1, atMs: nowMs });
        return;
      } catch (e) {
        if (!isStatusError(e) || e.code !== 404) throw e;
        this.recent.delete(key); // the Event was deleted (TTL): write a new one
      }
    }
    const ev = this.newEvent(p);
    try {
      const created = await this.api.create<Event>(EVENTS_RESOURCE, ev.metadata.namespace, ev);
      this.rememberCreated(p, created, ev);
    } catch (e) {
      if (!alreadyWritten(e)) throw e;
      this.rememberCreated(p, ev, ev);
    }
  }

  /** rememberCreated: the Event created for p, for aggregation of its repeats. */
  private rememberCreated(p: Pending, created: KubeObject, ev: Event): void {
    this.remember(aggregationKey(p), { namespace: ev.metadata.namespace ?? '',
      name: created.metadata.name ?? ev.metadata.name ?? '', count: 1,
      atMs: this.deps.clock.nowMs() });
  }

  private remember(key: string, w: Written): void {
    this.recent.delete(key);
    this.recent.set(key, w);
    if (this.recent.size > EVENT_LIMITS.aggregateMax) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }

  /** newEvent builds the core/v1 Event, named "<object>.<16 hex digits of wall time ns>". */
  private newEvent(p: Pending): Event {
    const m = p.regarding.metadata;
    const ts = rfc3339Seconds(p.wallMs);
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${m.name ?? ''}.${this.uniqueHexNs(p.wallMs)}`,
        namespace: m.namespace !== undefined && m.namespace !== '' ? m.namespace : 'default' },
      involvedObject: {
        kind: p.regarding.kind,
        ...(m.namespace !== undefined && m.namespace !== '' ? { namespace: m.namespace } : {}),
        name: m.name,
        uid: m.uid,
        apiVersion: p.regarding.apiVersion,
        resourceVersion: m.resourceVersion,
      },
      reason: p.reason,
      message: p.message,
      type: p.type,
      source: { component: p.component, host: this.deps.host },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: p.component,
      reportingInstance: this.deps.host,
    };
  }

  /**
   * uniqueHexNs: wall time in ns as 16 hex digits (upstream's UnixNano), strictly increasing
   * within this process so two events in one millisecond get different names. The wall clock
   * has only ms, so the ns below it are random: with whole ms alone, two processes writing an
   * Event about one object in the same ms (the scheduler's Scheduled as the bind's answer
   * arrives, the kubelet's Pulled for that pod) made the same name, and the second create's
   * AlreadyExists — taken as its own earlier attempt (alreadyWritten) — lost it silently. With
   * 10^6 values per ms such a pair now collides once in a million.
   */
  private uniqueHexNs(wallMs: number): string {
    const subMs = Math.floor(this.random() * 1_000_000);
    let ns = BigInt(Math.floor(wallMs)) * 1_000_000n + BigInt(Math.min(subMs, 999_999));
    if (ns <= this.lastNs) ns = this.lastNs + 1n;
    this.lastNs = ns;
    return ns.toString(16).padStart(16, '0');
  }

  private sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.deps.clock.setTimeout(resolve, delayMs));
  }
}

/** EventRecorderFactory: component → its recorder, plus the sink's flush and stop. */
export interface EventRecorderFactory {
  (component: string): EventRecorder;
  /** flush resolves once every queued event has been written or dropped (tests). */
  flush(): Promise<void>;
  /** stop refuses new events and flushes, unpaced (shutdown). */
  stop(): Promise<void>;
  /** dropped: events refused because the queue was full, since the factory was made. */
  dropped(): number;
  /** yieldTo: see EventRecorder.yieldTo (for the whole process's sink). */
  yieldTo(busy: () => boolean): () => void;
}

/** eventRecorderFactory makes one EventSink over api and hands out per-component recorders. */
export function eventRecorderFactory(api: ComponentApi, deps: RecorderDeps): EventRecorderFactory {
  const sink = new EventSink(api, deps);
  const recorders = new Map<string, EventRecorder>();
  const factory = (component: string): EventRecorder => {
    let r = recorders.get(component);
    if (r === undefined) recorders.set(component, (r = sink.recorder(component)));
    return r;
  };
  return Object.assign(factory, { flush: () => sink.flush(), stop: () => sink.stop(),
    dropped: () => sink.dropped, yieldTo: (busy: () => boolean) => sink.yieldTo(busy) });
}

/** rfc3339Seconds renders wall ms as metav1.Time: RFC 3339 in UTC, whole seconds. */
export function rfc3339Seconds(wallMs: number): string {
  return `${new Date(Math.floor(wallMs / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * alreadyWritten: the create's answer is AlreadyExists. An Event's name is its object's and a
 * time in ns, unique within this process, so the Event there is this one, stored by an attempt
 * whose answer was lost: the client's failover sends a call whose server did not answer in
 * time to the next server (measured: a burst pod's Pulled Event dropped that way, its pod then
 * short of one Event), or the sink retried a call that failed as a whole. client-go's sink
 * likewise takes AlreadyExists as done.
 */
function alreadyWritten(e: unknown): boolean {
  return isStatusError(e) && e.reason === 'AlreadyExists';
}

/**
 * retryable: an error worth another attempt — no answer from the API (transport, deadline), or
 * its answer that it was too busy (429: a seat not found in time; 504). Any other Status is the
 * API's answer about the Event (invalid, forbidden, fenced): retrying won't help. client-go's
 * REST client retries 429 itself, under its sink; ours sees it here.
 */
function retryable(e: unknown): boolean {
  return !isStatusError(e) || e.code === 429 || e.code === 504;
}

/** aggregationKey: what makes two events "the same" (client-go's EventAggregatorByReasonFunc
 *  plus the exact message, as its event logger keys). */
function aggregationKey(p: Pending): string {
  const m = p.regarding.metadata;
  return JSON.stringify([p.component, m.uid ?? `${m.namespace ?? ''}/${m.name ?? ''}`, p.type,
    p.reason, p.message]);
}

function describe(p: Pending): string {
  const m = p.regarding.metadata;
  return `${p.type} ${p.reason} on ${m.namespace ?? ''}/${m.name ?? ''}`;
}
