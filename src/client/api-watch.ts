/**
 * A watch over the component API as an async iterable. The gRPC stream is read only as fast as
 * the consumer iterates (grpc-js asks for the next message on demand), so a slow consumer slows
 * the server through HTTP/2 flow control instead of growing memory here; a consumer that stops
 * reading altogether gets its watch ended by the server, as client-go's would.
 *
 * Failover: when the stream breaks without an API answer (the server died, the connection
 * dropped), the watch reopens on the next API server if that cannot lose or repeat events:
 * - nothing was delivered since it was opened (the same request again), or
 * - it started from an explicit resourceVersion, so every event's resourceVersion is a resume
 *   point (the server sends only changes after it).
 * A watch that started from "" or "0" and broke mid-stream ends with the transport error: its
 * initial ADDED events carry per-object resourceVersions that are not resume points, and the
 * caller (an informer) must relist.
 */
import { status, type ClientReadableStream, type Metadata } from '@grpc/grpc-js';
import type { KubeObject } from '../api/meta.js';
import { assert } from '../base/assert.js';
import type {
  WatchRequest,
  WatchResponse,
  WatchEvent as WireWatchEvent,
} from '../gen/k8ts/api/v1/api.js';
import { RpcError } from '../rpc/errors.js';
import { serverStream } from '../rpc/server-stream.js';
import { readyStream, type ApiConn } from './api-conn.js';
import { retriable, type Failover } from './failover.js';
import type { ApiWatch, WatchEvent } from './types.js';
import { decodeJson, mapCallError } from './wire.js';

/** Reopens in a row (no event in between) before a broken watch gives up. */
export const MAX_WATCH_REOPENS = 6;

/** WatchStart is everything needed to (re)open the stream. */
export interface WatchStart {
  failover: Failover<ApiConn>;
  request: WatchRequest;
  metadata: () => Metadata;
  /** Bound on finding a connected API server for each (re)open. */
  openTimeoutMs: number;
}

/** GrpcWatch implements ApiWatch<T>. */
export class GrpcWatch<T extends KubeObject> implements ApiWatch<T> {
  private stopped = false;
  private iterated = false;
  private stream: ClientReadableStream<WatchResponse> | undefined;

  constructor(private readonly s: WatchStart) {}

  stop(): void {
    this.stopped = true;
    this.stream?.cancel();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    assert(!this.iterated, 'ApiWatch: iterate a watch once');
    this.iterated = true;
    return this.events();
  }

  private async *events(): AsyncGenerator<WatchEvent<T>> {
    const explicit = !['', '0'].includes(this.s.request.resourceVersion);
    let rv = this.s.request.resourceVersion;
    let reopens = 0;
    while (!this.stopped) {
      const conn = await this.s.failover.connected(this.s.openTimeoutMs, readyStream);
      const client = conn.grpc;
      if (this.stopped) return;
      const request = { ...this.s.request, resourceVersion: rv };
      const stream = serverStream(client, client.watch, request, { metadata: this.s.metadata() });
      this.stream = stream;
      let delivered = false;
      try {
        for await (const msg of stream as AsyncIterable<WatchResponse>) {
          for (const e of msg.events) {
            const ev = decodeEvent<T>(e);
            rv = ev.object.metadata.resourceVersion ?? rv;
            delivered = true;
            reopens = 0;
            yield ev;
            if (this.stopped) return;
          }
        }
        return; // The server closed the watch cleanly (its timeout): the caller re-watches.
      } catch (err) {
        if (this.stopped) return;
        const mapped = mapCallError(err);
        const resumable = !delivered || explicit;
        if (!retriable(mapped, 'read') || !resumable || ++reopens > MAX_WATCH_REOPENS) throw mapped;
        this.s.failover.moveOn(this.s.failover.indexOf(conn));
      } finally {
        stream.cancel();
      }
    }
  }
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

/** decodeEvent: a server that sends what the contract excludes is a peer's bug, reported as
 *  INTERNAL to the caller rather than crashing the component. */
function decodeEvent<T extends KubeObject>(e: WireWatchEvent): WatchEvent<T> {
  if (!EVENT_TYPES.has(e.type)) {
    throw new RpcError(status.INTERNAL, `watch: unexpected event type ${JSON.stringify(e.type)}`);
  }
  const object = decodeJson<T>(e.objectJson);
  return {
    type: e.type as WatchEvent<T>['type'],
    object,
    ...(e.traceparent !== '' ? { traceparent: e.traceparent } : {}),
  };
}
