/**
 * The event recorder (client-go's tools/record, the core/v1 flavour kubectl describe reads).
 * event() only appends to a bounded queue and returns: a controller must never wait for, or fail
 * because of, an Event. One writer drains the queue in order, so aggregation sees its own
 * writes: a repeat of the same object uid + type + reason + message from the same component
 * within 10 minutes patches count+1 and lastTimestamp of the Event already written (what
 * kubectl shows as "(x3 over 2m)") instead of creating another. Failures are retried a few
 * times, then dropped and logged. Everything is bounded: queue, retries, aggregation cache.
 *
 * Writes are paced by a token bucket (50/s, burst 100: the event QPS of kube-scheduler's own
 * events client and the kubelet's --event-qps/--event-burst defaults), so events take a bounded
 * share of the API's write capacity and never crowd out the work they describe (binds, pod
 * creates): under a burst the queue fills and further events are dropped, counted, and logged
 * as a count rather than line by line.
 */
import type { Event } from '../../api/core/v1/event.js';
import { isStatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';
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
  /** Delay before a retry, times the attempt number. */
  retryDelayMs: 100,
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
} as const;

/** RecorderDeps: time, identity of this process, logging. */
export interface RecorderDeps {
  clock: Clock;
  wallMs: () => number;
  /** Host name: Event.source.host and reportingInstance. */
  host: string;
  log: (line: string) => void;
}

interface Pending {
  component: string;
  regarding: KubeObject;
  type: EventType;
  reason: string;
  message: string;
  wallMs: number;
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
  /** Events dropped because the queue was full, since the last count was logged. */
  private droppedUnlogged = 0;
  /** A drop was logged and the queue has not been empty since. */
  private dropRun = false;
  /** Events dropped because the queue was full, in all. */
  private droppedTotal = 0;

  constructor(
    private readonly api: ComponentApi,
    private readonly deps: RecorderDeps,
  ) {
    this.pace = new BucketRateLimiter(deps.clock, EVENT_LIMITS.qps, EVENT_LIMITS.burst);
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
        this.enqueue({ component, regarding, type, reason, message, wallMs: this.deps.wallMs() }),
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

  /** drain writes queued events one at a time, in order and at the paced rate, until the queue
   *  is empty. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let p = this.queue.shift(); p !== undefined; p = this.queue.shift()) {
        // Once stopping, what is queued goes out unpaced: shutdown must not take 20 s.
        const waitMs = this.stopped ? 0 : this.pace.when('');
        if (waitMs > 0) await this.sleep(waitMs);
        await this.writeWithRetries(p);
      }
    } finally {
      this.draining = false;
      this.logDrops();
      this.dropRun = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async writeWithRetries(p: Pending): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.write(p);
        return;
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        // A StatusError is the API's answer (invalid, forbidden, fenced): retrying won't help.
        if (isStatusError(e) || attempt >= EVENT_LIMITS.attemptsMax) {
          this.deps.log(`event dropped after ${attempt} attempt(s): ${describe(p)}: ${why}`);
          return;
        }
        await this.sleep(EVENT_LIMITS.retryDelayMs * attempt);
      }
    }
  }

  /** write patches the aggregated Event when there is a recent one, else creates one. */
  private async write(p: Pending): Promise<void> {
    const key = aggregationKey(p);
    const nowMs = this.deps.clock.nowMs();
    const prev = this.recent.get(key);
    if (prev !== undefined && nowMs - prev.atMs < EVENT_LIMITS.aggregateWindowMs) {
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
    const created = await this.api.create<Event>(EVENTS_RESOURCE, ev.metadata.namespace, ev);
    const name = created.metadata.name ?? ev.metadata.name ?? '';
    this.remember(key, { namespace: ev.metadata.namespace ?? '', name, count: 1, atMs: nowMs });
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

  /** uniqueHexNs: wall time in ns as 16 hex digits, strictly increasing within this process so
   *  two events in one millisecond get different names. */
  private uniqueHexNs(wallMs: number): string {
    let ns = BigInt(Math.floor(wallMs)) * 1_000_000n;
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
    dropped: () => sink.dropped });
}

/** rfc3339Seconds renders wall ms as metav1.Time: RFC 3339 in UTC, whole seconds. */
export function rfc3339Seconds(wallMs: number): string {
  return `${new Date(Math.floor(wallMs / 1000) * 1000).toISOString().slice(0, 19)}Z`;
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
