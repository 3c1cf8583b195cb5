/**
 * RaftTransport carries Raft messages between the members of one group over gRPC.
 *
 * Outbound, per peer:
 * - appends, heartbeats, their answers, forwarded proposals and reads travel on ONE long-lived
 *   Replicate stream; all messages for that peer from one send() (one Ready) form one frame, so a
 *   busy leader pays the stream's per-message cost once per Ready, not once per entry batch;
 * - votes and leadership hand-offs, which are rare and must not queue behind a stalled stream,
 *   go as unary Deliver calls;
 * - a snapshot goes as a chunked InstallSnapshot stream, one at a time.
 * Every queue is bounded and drops when full: Raft retransmits whatever matters, and a dead peer
 * must not grow the leader's memory. Failures are reported back to the node (reportUnreachable,
 * reportSnapshot) so the leader stops pipelining into the void.
 *
 * Inbound, the server checks the cluster id on every frame (a member of another cluster listening
 * on a recycled port must not vote here) and hands each message to `receive`.
 */
import {
  Metadata,
  status,
  type ChannelCredentials,
  type ClientWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { assert } from '../../base/assert.js';
import type { Clock } from '../../base/clock.js';
import type { Prng } from '../../base/prng.js';
import {
  type RaftTransportServiceClient,
  type InstallSnapshotRequest,
  type MessageBatch,
  type RaftTransportServiceServer,
  type ReplicateRequest,
} from '../../gen/k8ts/raft/v1/transport.js';
import { channelOptions, deadlineIn } from '../../rpc/defaults.js';
import { stageTrace } from '../../rpc/stage-trace.js';
import { MessageType as T, type Message } from '../core/types.js';
import { nodeFileSystem } from './fs.js';
import { ReplicateTransportClient } from './replicate-codec.js';
import { snapshotHandler } from './transport-snapshot.js';

/** TransportLimits bounds everything the transport holds per peer. */
export interface TransportLimits {
  /** Frames waiting for the Replicate stream (one frame = one Ready's messages). */
  maxQueuedFrames: number;
  /** Deliver calls in flight to one peer. */
  maxInflightDelivers: number;
  snapshotChunkBytes: number;
  /** Largest snapshot a member accepts; a bigger one is refused (RESOURCE_EXHAUSTED). */
  maxSnapshotBytes: number;
  deliverTimeoutMs: number;
  snapshotTimeoutMs: number;
  /** Reconnect backoff: min * 2^attempt, capped at max, with ±50% jitter. */
  backoffMsMin: number;
  backoffMsMax: number;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = {
  maxQueuedFrames: 256,
  maxInflightDelivers: 16,
  snapshotChunkBytes: 1024 * 1024,
  maxSnapshotBytes: 512 * 1024 * 1024,
  deliverTimeoutMs: 1_000,
  snapshotTimeoutMs: 60_000,
  backoffMsMin: 50,
  backoffMsMax: 2_000,
};

export interface TransportOptions {
  selfId: number;
  clusterId: number;
  clock: Clock;
  /** Seeded randomness for backoff jitter. */
  prng: Prng;
  credentials: ChannelCredentials;
  /** receive hands one inbound message to the node; the caller schedules processing. */
  receive(m: Message): void;
  /** Both reports may arrive synchronously inside send(); the caller must defer them until the
   *  node is between Readys. */
  reportUnreachable(id: number): void;
  reportSnapshot(id: number, ok: boolean): void;
  limits?: Partial<TransportLimits>;
  log?(line: string): void;
}

/** Message types sent as unary Deliver calls: rare, and never worth queueing behind appends. */
const DELIVERED = new Set<T>([
  T.MESSAGE_TYPE_VOTE,
  T.MESSAGE_TYPE_VOTE_RESP,
  T.MESSAGE_TYPE_PRE_VOTE,
  T.MESSAGE_TYPE_PRE_VOTE_RESP,
  T.MESSAGE_TYPE_TIMEOUT_NOW,
  T.MESSAGE_TYPE_TRANSFER_LEADER,
]);

export class RaftTransport {
  readonly limits: TransportLimits;
  private readonly peers = new Map<number, PeerLink>();
  private closed = false;

  constructor(private readonly opts: TransportOptions) {
    assert(opts.selfId > 0, 'transport: self id must be > 0');
    this.limits = { ...DEFAULT_TRANSPORT_LIMITS, ...opts.limits };
    stageTrace?.wrapSync(nodeFileSystem);
  }

  /** setPeer adds a peer or changes its address (a re-added member may move). */
  setPeer(id: number, address: string): void {
    assert(id !== this.opts.selfId, 'transport: a member is not its own peer');
    const old = this.peers.get(id);
    if (old?.address === address || this.closed) return;
    old?.close();
    this.peers.set(id, new PeerLink(id, address, this.opts, this.limits));
  }

  removePeer(id: number): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  peerAddress(id: number): string | undefined {
    return this.peers.get(id)?.address;
  }

  /** send routes one Ready's messages; it never blocks and may drop (Raft retransmits). */
  send(messages: readonly Message[]): void {
    if (this.closed) return;
    const frames = new Map<number, Message[]>();
    for (const m of messages) {
      if (stageTrace) traceMessage(m, 'appTx', 'ackTx', m.to);
      const peer = this.peers.get(m.to);
      if (!peer) continue; // Removed or unknown member: nothing to do, as with a lost packet.
      if (m.type === T.MESSAGE_TYPE_SNAP) peer.sendSnapshot(m);
      else if (DELIVERED.has(m.type)) peer.deliver(m);
      else {
        let frame = frames.get(m.to);
        if (!frame) frames.set(m.to, (frame = []));
        frame.push(m);
      }
    }
    for (const [to, frame] of frames) this.peers.get(to)!.enqueue(frame);
  }

  /** service is the RaftTransportService implementation to add to the member's server. */
  service(): RaftTransportServiceServer {
    const { clusterId, receive } = this.opts;
    const accept = (m: Message): void => {
      if (this.closed) return;
      // A message from a peer proves it is up: a link to it still waiting out a reconnect
      // backoff (it was down for a while) reconnects now, so a restarted member hears the leader
      // at once. Replicate streams also announce themselves with an empty hello frame.
      this.peers.get(m.from)?.wake();
      if (stageTrace) traceMessage(m, 'appRx', 'ackRx', m.from);
      receive(m);
    };
    return {
      // Served on the lean HTTP/2 path (replicateTransportService): every message arrives here
      // and is taken synchronously, as src/rpc/fast-client-stream.ts requires.
      replicate: (call, callback) => {
        call.sendMetadata(new Metadata()); // Tells the client the stream is up: reset its backoff.
        let failed = false;
        call.on('data', (req: ReplicateRequest) => {
          if (failed) return;
          const batch = req.batch;
          if (!batch || batch.clusterId !== clusterId) {
            failed = true;
            callback(clusterMismatch(batch?.clusterId, clusterId));
            return;
          }
          if (!this.closed) this.peers.get(batch.from)?.wake();
          for (const m of batch.messages) if (m.from === batch.from) accept(m);
        });
        call.on('end', () => {
          if (!failed) callback(null, {});
        });
        call.on('error', () => {
          failed = true;
        });
      },
      deliver: (call, callback) => {
        const { clusterId: got, message } = call.request;
        if (got !== clusterId) return callback(clusterMismatch(got, clusterId));
        if (!message) return callback({ code: status.INVALID_ARGUMENT, details: 'no message' });
        accept(message);
        callback(null, {});
      },
      installSnapshot: snapshotHandler(clusterId, this.limits.maxSnapshotBytes, accept),
    };
  }

  close(): void {
    this.closed = true;
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
  }
}

/** traceMessage records an append with entries or an ack for stage tracing (stage-trace.ts). */
function traceMessage(
  m: Message, app: 'appTx' | 'appRx', ack: 'ackTx' | 'ackRx', peer: number,
): void {
  const last = m.entries[m.entries.length - 1];
  if (m.type === T.MESSAGE_TYPE_APP && last) stageTrace!.event(app, peer, last.index);
  else if (m.type === T.MESSAGE_TYPE_APP_RESP && !m.reject) stageTrace!.event(ack, peer, m.index);
}

/** clusterMismatch is the status a member answers a frame of another cluster with. */
export function clusterMismatch(got: number | undefined, want: number): Partial<ServiceError> {
  return {
    code: status.FAILED_PRECONDITION,
    details: `cluster id mismatch: frame for cluster ${got ?? 'none'}, this member is in ${want}`,
  };
}

/**
 * peerChannelOptions: a peer link pings rarely and waits long for the answer. Raft finds an
 * unresponsive peer by itself (heartbeats, CheckQuorum, the bounded frame queue); the ping only
 * finds a connection that is dead without having closed. With the default 3 s timeout, a member
 * whose own loop stalled longer than that dropped both its peer streams the moment it resumed
 * (the timer fires before the loop reads the ping's answer), and had to reconnect on a machine
 * already starved.
 */
function peerChannelOptions(): ReturnType<typeof channelOptions> {
  return channelOptions({ 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 20_000 });
}

/** PeerLink is everything outbound to one peer: its channel, stream, queue and backoff. */
class PeerLink {
  private client: RaftTransportServiceClient;
  private stream: ClientWritableStream<ReplicateRequest> | undefined;
  private readonly queue: MessageBatch[] = [];
  private writable = true;
  /** A 'drain' listener is armed for the current stream: flush() while blocked adds no other. */
  private awaitingDrain = false;
  private attempt = 0;
  private reconnect: { cancel(): void } | undefined;
  private inflightDelivers = 0;
  private snapshotInFlight = false;
  private closed = false;
  private connected = false;

  constructor(
    readonly id: number,
    readonly address: string,
    private readonly opts: TransportOptions,
    private readonly limits: TransportLimits,
  ) {
    this.client = new ReplicateTransportClient(address, opts.credentials, peerChannelOptions());
    // Connect now, not on the first message: a follower never sends to other followers, and
    // when one of them wins an election its first appends must not wait for a TCP + HTTP/2
    // handshake (measured: ~60 ms of a 200 ms failover).
    this.open();
  }

  enqueue(messages: Message[]): void {
    if (this.queue.length >= this.limits.maxQueuedFrames) {
      this.opts.reportUnreachable(this.id); // Full: the peer is slow or gone; Raft will retry.
      return;
    }
    this.queue.push({ from: this.opts.selfId, clusterId: this.opts.clusterId, messages });
    this.flush();
  }

  deliver(m: Message): void {
    if (this.inflightDelivers >= this.limits.maxInflightDelivers) {
      this.opts.reportUnreachable(this.id);
      return;
    }
    this.inflightDelivers++;
    const req = { clusterId: this.opts.clusterId, message: m };
    const deadline = deadlineIn(this.limits.deliverTimeoutMs);
    this.client.deliver(req, new Metadata(), { deadline }, (err) => {
      this.inflightDelivers--;
      if (err && !this.closed) this.opts.reportUnreachable(this.id);
    });
  }

  sendSnapshot(m: Message): void {
    if (this.snapshotInFlight) {
      this.opts.reportSnapshot(this.id, false);
      return;
    }
    this.snapshotInFlight = true;
    const deadline = deadlineIn(this.limits.snapshotTimeoutMs);
    const call = this.client.installSnapshot({ deadline }, (err) => {
      this.snapshotInFlight = false;
      if (this.closed) return;
      if (err) this.opts.log?.(`snapshot to ${this.id} failed: ${err.details || err.message}`);
      this.opts.reportSnapshot(this.id, !err);
      if (err) this.opts.reportUnreachable(this.id);
    });
    call.on('error', () => {}); // The callback above reports; the event must not crash us.
    void writeChunks(call, snapshotChunks(m, this.opts.clusterId, this.limits.snapshotChunkBytes));
  }

  /** wake cuts a pending reconnect backoff short: the peer is known to be reachable again. */
  wake(): void {
    if (this.closed || !this.reconnect) return;
    this.reconnect.cancel();
    this.reconnect = undefined;
    this.attempt = 0;
    // grpc-js keeps its own reconnect backoff per channel and fails calls fast until it expires;
    // it cannot be reset, so a fresh channel is the way to connect now (calls in flight on the
    // old one finish on their own).
    this.client.close();
    this.client = new ReplicateTransportClient(this.address, this.opts.credentials,
      peerChannelOptions());
    this.open();
  }

  close(): void {
    this.closed = true;
    this.reconnect?.cancel();
    this.stream?.cancel();
    this.stream = undefined;
    this.queue.length = 0;
    this.client.close();
  }

  private flush(): void {
    if (this.closed) return;
    if (!this.stream) {
      if (!this.reconnect) this.open();
      return;
    }
    const stream = this.stream;
    while (this.writable && this.queue.length > 0) {
      this.writable = stream.write({ batch: this.queue.shift()! });
    }
    if (!this.writable && !this.awaitingDrain) {
      this.awaitingDrain = true;
      stream.once('drain', () => {
        if (stream !== this.stream) return;
        this.awaitingDrain = false;
        this.writable = true;
        this.flush();
      });
    }
  }

  private open(): void {
    const stream = this.client.replicate((err) => this.onEnd(stream, err));
    this.stream = stream;
    this.writable = true;
    this.awaitingDrain = false;
    stream.on('metadata', () => {
      this.attempt = 0;
      if (!this.connected) this.opts.log?.(`peer ${this.id} (${this.address}) connected`);
      this.connected = true;
    });
    stream.on('error', () => {}); // Reported through the callback.
    // Hello: an empty frame that tells the peer we are up, so its link back to us (perhaps in a
    // reconnect backoff since we went down) reconnects now rather than after its backoff.
    this.queue.unshift({ from: this.opts.selfId, clusterId: this.opts.clusterId, messages: [] });
    this.flush();
  }

  private onEnd(stream: ClientWritableStream<ReplicateRequest>, err: ServiceError | null): void {
    if (stream !== this.stream || this.closed) return;
    this.stream = undefined;
    if (this.connected || this.attempt === 0) {
      this.opts.log?.(`peer ${this.id} (${this.address}) stream down: ${err?.details ?? 'ended'}`);
    }
    this.connected = false;
    this.opts.reportUnreachable(this.id);
    const delayMs = backoffMs(this.attempt++, this.limits, this.opts.prng);
    this.reconnect = this.opts.clock.setTimeout(() => {
      this.reconnect = undefined;
      this.open();
    }, delayMs);
  }
}

/** backoffMs is min * 2^attempt capped at max, jittered to [50%, 150%) so members that lost the
 *  same peer do not reconnect in lockstep. */
export function backoffMs(attempt: number, limits: TransportLimits, prng: Prng): number {
  const base = Math.min(limits.backoffMsMax, limits.backoffMsMin * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.5 + prng.float()));
}

/** snapshotChunks splits a MsgSnap into InstallSnapshot requests: the first carries the message
 *  with its snapshot's data emptied, every request carries the next piece of data. */
export function snapshotChunks(m: Message, clusterId: number, chunkBytes: number): InstallSnapshotRequest[] {
  assert(m.snapshot !== undefined, 'MsgSnap without snapshot');
  assert(chunkBytes > 0, 'chunk size must be > 0');
  const data = m.snapshot.data;
  const header: Message = { ...m, snapshot: { ...m.snapshot, data: Buffer.alloc(0) } };
  const out: InstallSnapshotRequest[] = [];
  let offset = 0;
  do {
    const chunk = data.subarray(offset, offset + chunkBytes);
    const last = offset + chunk.length >= data.length;
    out.push({ clusterId, message: out.length === 0 ? header : undefined, chunk, offset, last });
    offset += chunk.length;
  } while (offset < data.length);
  return out;
}

/** writeChunks writes with backpressure (never more than the stream's buffer ahead), then ends. */
async function writeChunks(call: ClientWritableStream<InstallSnapshotRequest>, reqs: InstallSnapshotRequest[]): Promise<void> {
  for (const req of reqs) {
    if (call.destroyed) return;
    if (!call.write(req)) {
      await new Promise<void>((resolve) => {
        call.once('drain', resolve);
        call.once('close', resolve);
      });
    }
  }
  if (!call.destroyed) call.end();
}
