/**
 * StoreCore is what every etcd service of one member shares: proposing a request through Raft and
 * getting its outcome back, linearizable read barriers, and the response header. It owns no I/O
 * itself — the RaftNode, the state and the kick (group commit) are injected by store-member.ts.
 */
import type { Metadata } from '@grpc/grpc-js';
import { assert } from '../../base/assert.js';
import type { PutRequest, ResponseHeader } from '../../gen/etcdserverpb/rpc.js';
import type { StoreRequest, TraceContext } from '../../gen/k8ts/store/v1/store.js';
import type { Committed, RaftNode } from '../../raft/node.js';
import { ENVELOPE_BYTES } from '../../raft/proposal-queue.js';
import { metadataValue } from '../../rpc/fast-unary-call.js';
import { wallMs, type CallStamps } from '../../rpc/stage-trace.js';
import { etcdErrors } from '../errors.js';
import type { ApplyOutcome, StoreState } from '../types.js';
import { toEtcdError } from './errors.js';
import { encodePutProposal, encodeRequest } from './request-encode.js';

export interface StoreCoreOptions {
  node: RaftNode;
  state: StoreState;
  clusterId: bigint;
  /** kick schedules the driver's next process() (the member's group commit). */
  kick(): void;
  /** A request whose encoded entry is larger is refused ("request is too large"). */
  maxRequestBytes: number;
  /** Writes that would grow the state past this raise the NOSPACE alarm and are refused. */
  quotaBytes: number;
}

export type StoreOp = NonNullable<StoreRequest['op']>;

/** The etcd response messages all carry a header at field 1. */
interface WithHeader {
  header?: ResponseHeader | undefined;
}

export class StoreCore {
  readonly memberId: bigint;
  /** Linearizable reads waiting for the next ReadIndex round, and whether one is under way. */
  private barrierWaiters: { resolve(): void; reject(e: unknown): void }[] = [];
  private barrierRunning = false;

  constructor(readonly opts: StoreCoreOptions) {
    this.memberId = BigInt(opts.node.id);
  }

  get state(): StoreState {
    return this.opts.state;
  }

  get node(): RaftNode {
    return this.opts.node;
  }

  /** header is the response header as of now (revision defaults to the current one). */
  header(revision: number = this.opts.state.revision()): ResponseHeader {
    return {
      clusterId: this.opts.clusterId,
      memberId: this.memberId,
      revision: BigInt(revision),
      raftTerm: BigInt(this.opts.node.term()),
    };
  }

  /** leader is the member id this member follows (0 while none is known). */
  leader(): number {
    return this.opts.node.leader();
  }

  /** requireLeader enforces etcd's `hasleader` metadata of call: fail at once without a leader. */
  requireLeader(call: { metadata: Metadata }): void {
    if (metadataValue(call, 'hasleader') === 'true' && this.leader() === 0) throw etcdErrors.noLeader();
  }

  /** write proposes one request and resolves with the response its apply produced here; stamps
   *  (stage tracing only) get the proposed and applied times and the entry's index. */
  write<R extends WithHeader>(op: StoreOp, trace?: TraceContext, stamps?: CallStamps): Promise<R> {
    let data: Uint8Array;
    try {
      data = encodeRequest({ trace, op });
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writeEncoded<R>(data, growsState(op), stamps);
  }

  /** writePut is write for a Put: its StoreRequest is encoded by hand straight into the buffer
   *  the node proposes (encodePutProposal), the Put every client write of the benchmark is. */
  writePut<R extends WithHeader>(put: PutRequest, trace?: TraceContext, stamps?: CallStamps): Promise<R> {
    let data: Buffer;
    try {
      data = encodePutProposal(put, trace, ENVELOPE_BYTES);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.proposeRequest<R>(data, ENVELOPE_BYTES, true, stamps);
  }

  /** writeEncoded is write for a StoreRequest already encoded (a Put the I/O thread decoded,
   *  validated and encoded: io-thread-worker.ts); grows says whether the quota applies to it. */
  writeEncoded<R extends WithHeader>(data: Uint8Array, grows: boolean, stamps?: CallStamps): Promise<R> {
    return this.proposeRequest<R>(Buffer.from(data.buffer, data.byteOffset, data.length), 0, grows, stamps);
  }

  /** proposeRequest proposes an encoded StoreRequest that starts `room` bytes into buf (0, or
   *  ENVELOPE_BYTES left free for the node's envelope) and answers with its apply's outcome.
   *  A plain promise chain with shared callbacks, not an async function: a leader runs this for
   *  every write, and an async function's frame object and await reactions were ~1 KB of the
   *  ~5 KB it allocated per Put outside HTTP/2 (store-leader-micro, LEADER_MICRO_ALLOC=1). */
  private proposeRequest<R extends WithHeader>(
    buf: Buffer, room: number, grows: boolean, stamps?: CallStamps,
  ): Promise<R> {
    const size = buf.length - room;
    if (size > this.opts.maxRequestBytes) return Promise.reject(etcdErrors.requestTooLarge());
    if (grows && this.opts.state.sizeBytes() + size > this.opts.quotaBytes) {
      this.raiseNoSpace();
      return Promise.reject(etcdErrors.noSpace());
    }
    const p = room === 0 ? this.opts.node.propose(buf) : this.opts.node.proposeEnveloped(buf);
    this.opts.kick();
    if (stamps === undefined) return p.then(this.answerCommitted, failProposal) as Promise<R>;
    stamps[2] = wallMs();
    return p.then((committed) => {
      [stamps[3], stamps[5]] = [wallMs(), committed.index];
      return this.answerCommitted(committed);
    }, failProposal) as Promise<R>;
  }

  /** answerCommitted is a committed proposal's answer: its apply's response with this member's
   *  header, or its apply's error (thrown as it is: it is already etcd's). */
  private readonly answerCommitted = (committed: Committed): WithHeader => {
    const outcome = committed.result as ApplyOutcome;
    assert(outcome !== undefined, 'a proposal applied here must have an outcome');
    if ('error' in outcome) throw outcome.error;
    const res = outcome.response as WithHeader;
    res.header = this.header(Number(res.header?.revision ?? BigInt(this.opts.state.revision())));
    return res;
  };

  /** barrier resolves once reading local state is linearizable (etcd's ReadIndex loop: reads
   *  that arrive while a round runs share the next round, so a burst costs two rounds). */
  barrier(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.barrierWaiters.push({ resolve, reject });
      if (!this.barrierRunning) this.runBarrier();
    });
  }

  private runBarrier(): void {
    const batch = this.barrierWaiters;
    this.barrierWaiters = [];
    this.barrierRunning = true;
    const p = this.opts.node.readIndex();
    this.opts.kick();
    p.then(
      () => batch.forEach((w) => w.resolve()),
      (err: unknown) => {
        // A read has no outcome to lose: with no leader now, say so (a candidate drops ReadIndex
        // requests and fails them when its role changes, which would read "leader changed").
        const e = this.leader() === 0 ? etcdErrors.noLeader() : toEtcdError(err);
        batch.forEach((w) => w.reject(e));
      },
    ).finally(() => {
      this.barrierRunning = false;
      if (this.barrierWaiters.length > 0) this.runBarrier();
    });
  }

  /** raiseNoSpace proposes the NOSPACE alarm for this member (once; errors are irrelevant: the
   *  write that tripped the quota is refused either way). */
  private raiseNoSpace(): void {
    const active = this.opts.state.alarms().some((a) => a.memberID === this.memberId && a.alarm === 1);
    if (active) return;
    this.write({ $case: 'alarm', value: { action: 1, memberID: this.memberId, alarm: 1 } }).catch(() => undefined);
  }
}

/** failProposal: a proposal that was not committed here fails with etcd's error for why. */
function failProposal(err: unknown): never {
  throw toEtcdError(err);
}

/** growsState: the requests etcd's quota check applies to (Put, Txn, LeaseGrant). */
function growsState(op: StoreOp): boolean {
  return op.$case === 'put' || op.$case === 'txn' || op.$case === 'leaseGrant';
}

/** traceOf reads the W3C trace context a client sent as gRPC metadata of call. */
export function traceOf(call: { metadata: Metadata }): TraceContext | undefined {
  const traceparent = metadataValue(call, 'traceparent');
  if (traceparent === undefined) return undefined;
  return { traceparent, tracestate: metadataValue(call, 'tracestate') ?? '' };
}
