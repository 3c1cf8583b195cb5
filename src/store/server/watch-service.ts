/**
 * The etcd Watch service: one bidirectional stream per call, served by the member's WatchHub.
 * This file is only the grpc-js shell — it reads requests into the hub, writes the hub's
 * responses while gRPC accepts them (write() false → wait for 'drain'), stops reading requests
 * while the stream's queue is over its bound (etcd blocks its receive loop the same way), fills
 * the header fields the hub does not know, and releases the stream when the call ends.
 *
 * Wiring (store member):
 *   const { hub } = driveWatchHub(state, clock, { progressIntervalMs: 5_000 });
 *   state.onRevision = (ev) => hub.publish(ev);   // and hub.restored() after state.restore()
 *   watchNoLeader(clock, electionTimeoutMs, () => core.leader() !== 0, hub);
 *   server.addService(WATCH_SERVICE, watchService({
 *     hub, header: (rev) => core.header(rev), hasLeader: () => core.leader() !== 0 }));
 */
import { Metadata, status, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  WatchService,
  type ResponseHeader,
  type WatchRequest,
  type WatchResponse,
  type WatchServer,
} from '../../gen/etcdserverpb/rpc.js';
import { EtcdError, etcdErrors } from '../errors.js';
import type { WatchHub, WatchStream } from '../watch/hub.js';
import { encodeWatchResponse } from '../watch/response-codec.js';

/** WATCH_SERVICE is etcd's Watch service definition with the member's response encoder: the
 *  same bytes as the generated one, each event encoded once for all the watchers it goes to
 *  (watch/response-codec.ts). Register the service with it, not with WatchService. */
export const WATCH_SERVICE: typeof WatchService = {
  ...WatchService,
  watch: { ...WatchService.watch, responseSerialize: encodeWatchResponse },
};

/** WatchServiceDeps is all the Watch service needs from the member. */
export interface WatchServiceDeps {
  hub: WatchHub;
  /** header returns a full response header for `revision`: cluster_id, member_id and raft_term
   *  as of now (StoreCore.header fits). The hub's compacted-cancel responses pass 0, as etcd
   *  sends them without a revision. */
  header(revision: number): ResponseHeader;
  /** hasLeader says whether this member knows a leader now; a call with `hasleader: true`
   *  metadata fails at once with UNAVAILABLE "etcdserver: no leader" when it does not. */
  hasLeader(): boolean;
}

/** requiresLeader reads clientv3's WithRequireLeader metadata. */
export function requiresLeader(md: Metadata): boolean {
  const v = md.get('hasleader')[0];
  return v !== undefined && String(v) === 'true';
}

export function watchService(deps: WatchServiceDeps): WatchServer {
  return {
    watch(call: ServerDuplexStream<WatchRequest, WatchResponse>): void {
      const requireLeader = requiresLeader(call.metadata);
      if (requireLeader && !deps.hasLeader()) return failCall(call, etcdErrors.noLeader());
      new WatchCall(deps, call, requireLeader).start();
    },
  };
}

/** WatchCall pumps one call. Its stream is opened in start() and closed exactly once. */
class WatchCall {
  private stream: WatchStream | undefined;
  private writeBlocked = false;
  private readPaused = false;
  private pumpQueued = false;
  private done = false;

  constructor(
    private readonly deps: WatchServiceDeps,
    private readonly call: ServerDuplexStream<WatchRequest, WatchResponse>,
    private readonly requireLeader: boolean,
  ) {}

  start(): void {
    try {
      this.stream = this.deps.hub.openStream({
        requireLeader: this.requireLeader,
        wake: () => this.schedulePump(),
      });
    } catch (err) {
      this.done = true;
      return failCall(this.call, err instanceof EtcdError ? err : etcdErrors.stopped());
    }
    this.call.on('data', (req: WatchRequest) => this.onRequest(req));
    // A client's half-close does not end the call: etcd's receive loop returns on EOF and the
    // stream keeps sending until the client cancels or the connection goes.
    this.call.on('end', () => undefined);
    this.call.on('cancelled', () => this.finish());
    this.call.on('close', () => this.finish());
    this.call.on('error', () => this.finish());
  }

  private onRequest(req: WatchRequest): void {
    const s = this.stream;
    if (this.done || s === undefined) return;
    s.handle(req);
    this.pump();
    if (!this.done && s.congested() && !this.readPaused) {
      this.readPaused = true;
      this.call.pause();
    }
  }

  /** schedulePump defers writing out of the hub's call stack (often an apply). */
  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** pump writes queued responses until gRPC pushes back or the queue is empty. */
  private pump(): void {
    const s = this.stream;
    if (this.done || s === undefined || this.writeBlocked) return;
    if (s.failure !== undefined) {
      this.finish();
      return failCall(this.call, s.failure);
    }
    for (;;) {
      const resp = s.take();
      if (resp === undefined) break;
      const rev = resp.header === undefined ? 0 : Number(resp.header.revision);
      resp.header = this.deps.header(rev);
      if (!this.call.write(resp)) {
        this.writeBlocked = true;
        this.call.once('drain', () => {
          this.writeBlocked = false;
          this.pump();
        });
        break;
      }
    }
    if (this.readPaused && !s.congested()) {
      this.readPaused = false;
      this.call.resume();
    }
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.stream?.close();
  }
}

/** failCall ends a call with an etcd error status (after anything already written). */
function failCall(call: ServerDuplexStream<WatchRequest, WatchResponse>, err: EtcdError): void {
  const code = err.code ?? status.UNKNOWN;
  call.emit('error', { code, details: err.message, metadata: new Metadata() });
}
