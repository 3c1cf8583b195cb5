/**
 * Watcher: one etcd watch on its own bidirectional stream, delivered as an async iterable of
 * batches (all events of one revision arrive in one batch, as etcd sends them) or through a
 * callback. It survives a broken stream or a dead member: it re-creates the watch on the next
 * member from the revision after the last one it delivered, so the consumer sees every revision
 * once, in order. A compacted start revision ends it with CompactedError (kube-apiserver answers
 * 410 Gone and relists). Streams carry `hasleader: true` (clientv3's WithRequireLeader): a member
 * that lost its leader cancels the watch and the watcher moves on instead of going silent.
 *
 * Bounded: at most maxBufferedResponses batches wait for a slow consumer; beyond that the stream
 * is paused (HTTP/2 flow control pushes back on the member) until the consumer catches up.
 */
import {
  WatchCreateRequest_FilterType,
  WatchService,
  type WatchRequest,
  type WatchResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { h2Bidi, type H2BidiCall } from '../../rpc/h2-bidi-call.js';
import type { GrpcStatus } from '../../rpc/h2-client-status.js';
import { Event_EventType, type Event } from '../../gen/mvccpb/kv.js';
import { assert } from '../../base/assert.js';
import { backoffMs } from './backoff.js';
import { rangeEndFor, toBuffer, type Bytes, type RangeSpec } from './bytes.js';
import { asClientError, metadataFor, streamEndError, type CallSettings } from './call.js';
import type { Conn, EndpointPool } from './endpoints.js';
import { attemptOutcome, CompactedError, EtcdClientError, fromStatus } from './errors.js';
import { header, keyValue, num, type Header, type KeyValue } from './kv.js';
import { status } from '@grpc/grpc-js';

export interface WatchOptions extends RangeSpec {
  /** First revision to deliver, inclusive (kube-apiserver asks for RV+1); 0/undefined = now. */
  startRevision?: number;
  prevKv?: boolean;
  /** Ask the server for periodic progress notifications (kube-apiserver's bookmarks). */
  progressNotify?: boolean;
  filters?: { noPut?: boolean; noDelete?: boolean };
  /** Batches buffered for a slow consumer before the stream is paused (default 1024). */
  maxBufferedResponses?: number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  /** For a delete: the key with modRevision = the deletion revision and no value. */
  kv: KeyValue;
  /** The previous version, when the watch asked for prevKv and the store still had it. */
  prevKv?: KeyValue | undefined;
  /** W3C trace context of the write (k8ts store only; etcd never sets it). */
  traceparent?: string | undefined;
}

/** WatchBatch is one response: the events of one or more whole revisions, or a progress mark. */
export interface WatchBatch {
  header: Header;
  /** For events: the revision of the last event. For progress: every revision up to this one
   *  has been delivered (header.revision). */
  revision: number;
  events: WatchEvent[];
  /** A progress notification (no events): the store is at `revision`. */
  progress: boolean;
}

/** Bounds a watch's consecutive failed (re)connections before it ends with the last error. */
export const MAX_WATCH_RECONNECTS = 40;
const DEFAULT_BUFFERED = 1024;
/** etcd 3.4 answers a progress request with watch_id -1 (not tied to one watch). */
const PROGRESS_WATCH_ID = -1n;

type WatchStream = H2BidiCall<WatchRequest>;

export class Watcher implements AsyncIterable<WatchBatch> {
  /** Resolves with the store revision when the watch was first created. */
  readonly created: Promise<number>;
  private resolveCreated!: (rev: number) => void;
  private rejectCreated!: (err: unknown) => void;
  private isCreated = false;
  private stream: WatchStream | undefined;
  private conn: Conn | undefined;
  private watchId: bigint | undefined;
  /** The next revision the consumer has not seen (0 until known when watching from now). */
  private nextRev: number;
  private readonly queue: WatchBatch[] = [];
  private readonly maxBuffered: number;
  private waiter: (() => void) | undefined;
  private ended = false;
  private endError: EtcdClientError | undefined;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private consumed = false;

  constructor(
    private readonly pool: EndpointPool,
    private readonly settings: CallSettings,
    private readonly key: Bytes,
    private readonly opts: WatchOptions,
    private readonly onEnd: (w: Watcher) => void,
  ) {
    const start = opts.startRevision ?? 0;
    assert(Number.isSafeInteger(start) && start >= 0, `watch: bad startRevision ${start}`);
    this.nextRev = start;
    this.maxBuffered = opts.maxBufferedResponses ?? DEFAULT_BUFFERED;
    assert(this.maxBuffered >= 1, 'watch: maxBufferedResponses must be ≥ 1');
    this.created = new Promise((resolve, reject) => {
      this.resolveCreated = resolve;
      this.rejectCreated = reject;
    });
    this.created.catch(() => {}); // the iterator reports the same error
    void this.connect();
  }

  /** nextRevision is where a re-created watch would start (last delivered revision + 1). */
  nextRevision(): number {
    return this.nextRev;
  }

  /** endpoint is the member the watch currently streams from (undefined while reconnecting). */
  endpoint(): string | undefined {
    return this.stream ? this.conn?.endpoint : undefined;
  }

  /** requestProgress asks the member for a progress notification (kube-apiserver's
   *  RequestWatchProgress); it arrives as a batch with progress=true. No-op while reconnecting. */
  requestProgress(): void {
    if (this.stream && this.isCreated && !this.ended) {
      this.stream.write({ requestUnion: { $case: 'progressRequest', value: {} } });
    }
  }

  /** cancel ends the watch; the iterator finishes normally after the buffered batches. */
  cancel(): void {
    this.finish(undefined);
  }

  /** subscribe delivers batches to a callback until the watch ends; onEnd gets the error, if
   *  any (a CompactedError means: relist). A throwing callback cancels the watch and is passed
   *  to onEnd. Returns this watcher (cancel() stops it). */
  subscribe(onBatch: (b: WatchBatch) => void, onEnd?: (err?: EtcdClientError) => void): this {
    void (async () => {
      try {
        for await (const b of this) onBatch(b);
        onEnd?.();
      } catch (e) {
        this.cancel();
        onEnd?.(asClientError(e));
      }
    })();
    return this;
  }

  /** One consumer per watch: a second iterator would split the batches between them. Leaving
   *  the loop early (break, return, throw) cancels the watch. */
  async *[Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    assert(!this.consumed, 'watch: only one consumer (iterator or subscribe) per watch');
    this.consumed = true;
    try {
      for (;;) {
        const b = this.queue.shift();
        if (b) {
          if (this.queue.length <= this.maxBuffered / 2) this.stream?.resume();
          yield b;
          continue;
        }
        if (this.ended) {
          if (this.endError) throw this.endError;
          return;
        }
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      this.cancel();
    }
  }

  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    if (this.ended) return;
    try {
      const conn = this.pool.current();
      this.conn = conn;
      await this.pool.ready(conn, this.settings.dialTimeoutMs);
      if (this.ended) return;
      const stream: WatchStream = h2Bidi(conn.h2, WatchService.watch, metadataFor({ requireLeader: true }), {
        message: (r: WatchResponse) => this.stream === stream && this.onResponse(r),
        end: (s: GrpcStatus) => this.stream === stream && this.onBroken(streamEndError(s, () => closedByServer(conn.endpoint))),
      });
      this.stream = stream;
      this.watchId = undefined;
      stream.write({ requestUnion: { $case: 'createRequest', value: this.createRequest() } });
    } catch (e) {
      this.stream = undefined;
      this.retry(asClientError(e));
    }
  }

  private createRequest(): NonNullable<Extract<WatchRequest['requestUnion'], { $case: 'createRequest' }>>['value'] {
    const filters: WatchCreateRequest_FilterType[] = [];
    if (this.opts.filters?.noPut === true) filters.push(WatchCreateRequest_FilterType.NOPUT);
    if (this.opts.filters?.noDelete === true) filters.push(WatchCreateRequest_FilterType.NODELETE);
    return {
      key: toBuffer(this.key),
      rangeEnd: rangeEndFor(this.key, this.opts),
      startRevision: BigInt(this.nextRev),
      progressNotify: this.opts.progressNotify === true,
      filters,
      prevKv: this.opts.prevKv === true,
      watchId: 0n,
      fragment: false,
    };
  }

  private onResponse(r: WatchResponse): void {
    const h = header(r.header);
    if (r.created) this.onCreated(r.watchId, h);
    if (r.canceled) return this.onCanceled(r);
    if (r.created && r.events.length === 0) return;
    if (r.events.length === 0) return this.onProgress(r.watchId, h);
    const events = r.events.filter((e) => num(e.kv?.modRevision ?? 0n) >= this.nextRev).map(watchEvent);
    if (events.length === 0) return; // already delivered before a reconnect
    const revision = events[events.length - 1]!.kv.modRevision;
    this.nextRev = revision + 1;
    this.push({ header: h, revision, events, progress: false });
  }

  private onCreated(watchId: bigint, h: Header): void {
    this.watchId = watchId;
    this.failures = 0;
    // Watching from now: the first revision we owe the consumer is the one after creation.
    if (this.nextRev === 0) this.nextRev = h.revision + 1;
    if (!this.isCreated) {
      this.isCreated = true;
      this.resolveCreated(h.revision);
    }
  }

  private onProgress(watchId: bigint, h: Header): void {
    // A periodic notification for this watch is sent only once it is synced, so every revision
    // up to h.revision was delivered. etcd 3.4 answers a progress *request* with watch_id -1 even
    // to an unsynced watch, so that one does not move the resume point.
    if (watchId === this.watchId && watchId !== PROGRESS_WATCH_ID && h.revision >= this.nextRev) {
      this.nextRev = h.revision + 1;
    }
    this.push({ header: h, revision: h.revision, events: [], progress: true });
  }

  private onCanceled(r: WatchResponse): void {
    const compactRev = num(r.compactRevision);
    if (compactRev > 0) {
      const msg = `watch from revision ${this.nextRev}: required revision has been compacted (compact revision ${compactRev})`;
      return this.finish(new CompactedError(msg, compactRev));
    }
    const reason = r.cancelReason;
    const err = reason === '' ? closedByServer(this.conn?.endpoint ?? '?') : fromStatus(status.UNAVAILABLE, reason);
    if (err.kind === 'unavailable' || err.kind === 'noLeader' || attemptOutcome(err) !== 'final') {
      return this.onBroken(err);
    }
    this.finish(new EtcdClientError('watchCanceled', err.code, `watch canceled by the server: ${reason}`, { cause: err }));
  }

  /** onBroken: the stream failed; try the next member unless the failure is final. */
  private onBroken(err: EtcdClientError): void {
    if (this.ended) return;
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    if (attemptOutcome(err) === 'final') return this.finish(err);
    this.retry(err);
  }

  private retry(err: EtcdClientError): void {
    if (this.ended) return;
    if (this.pool.isClosed()) return this.finish(new EtcdClientError('closed', status.CANCELLED, 'EtcdClient is closed', { cause: err }));
    if (this.conn) this.pool.failed(this.conn.endpoint);
    this.failures++;
    if (this.failures > MAX_WATCH_RECONNECTS) {
      return this.finish(new EtcdClientError(err.kind, err.code, `watch gave up after ${this.failures - 1} reconnects: ${err.message}`, { cause: err }));
    }
    const retry = this.failures - this.pool.size;
    const waitMs = retry <= 0 ? 0 : backoffMs(retry - 1, this.settings.backoff, this.settings.random);
    this.retryTimer = setTimeout(() => void this.connect(), waitMs);
  }

  private push(b: WatchBatch): void {
    this.queue.push(b);
    if (this.queue.length >= this.maxBuffered) this.stream?.pause();
    this.wake();
  }

  private finish(err: EtcdClientError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = err;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    if (!this.isCreated) this.rejectCreated(err ?? new EtcdClientError('closed', status.CANCELLED, 'watch canceled'));
    this.onEnd(this);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

function closedByServer(endpoint: string): EtcdClientError {
  return new EtcdClientError('unavailable', status.UNAVAILABLE, `${endpoint}: watch stream closed by the server`);
}

function watchEvent(e: Event): WatchEvent {
  assert(e.kv !== undefined, 'watch: event without kv');
  return {
    type: e.type === Event_EventType.DELETE ? 'delete' : 'put',
    kv: keyValue(e.kv),
    prevKv: e.prevKv ? keyValue(e.prevKv) : undefined,
    traceparent: e.traceparent === '' ? undefined : e.traceparent,
  };
}
