/**
 * StoreCore is what every etcd service of one member shares: proposing a request through Raft and
 * getting its outcome back, linearizable read barriers, and the response header. It owns no I/O
 * itself — the RaftNode, the state and the kick (group commit) are injected by store-member.ts.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { Metadata } from '@grpc/grpc-js';
import { assert } from '../../base/assert.js';
import type { ResponseHeader } from '../../gen/etcdserverpb/rpc.js';
import { StoreRequest, type TraceContext } from '../../gen/k8ts/store/v1/store.js';
import type { RaftNode } from '../../raft/node.js';
import { metadataValue } from '../../rpc/fast-unary-call.js';
import { wallMs, type CallStamps } from '../../rpc/stage-trace.js';
import { etcdErrors } from '../errors.js';
import type { ApplyOutcome, StoreState } from '../types.js';
import { toEtcdError } from './errors.js';

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
  async write<R extends WithHeader>(
    op: StoreOp, trace?: TraceContext, stamps?: CallStamps,
  ): Promise<R> {
    const data = encodeRequest({ trace, op });
    if (data.length > this.opts.maxRequestBytes) throw etcdErrors.requestTooLarge();
    if (growsState(op) && this.opts.state.sizeBytes() + data.length > this.opts.quotaBytes) {
      this.raiseNoSpace();
      throw etcdErrors.noSpace();
    }
    let outcome: ApplyOutcome;
    try {
      const p = this.opts.node.propose(Buffer.from(data.buffer, data.byteOffset, data.length));
      this.opts.kick();
      if (stamps) stamps[2] = wallMs();
      const committed = await p;
      if (stamps) [stamps[3], stamps[5]] = [wallMs(), committed.index];
      outcome = committed.result as ApplyOutcome;
    } catch (err) {
      throw toEtcdError(err);
    }
    assert(outcome !== undefined, 'a proposal applied here must have an outcome');
    if ('error' in outcome) throw outcome.error;
    const res = outcome.response as R;
    res.header = this.header(Number(res.header?.revision ?? BigInt(this.opts.state.revision())));
    return res;
  }

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

/** One writer for every request this process encodes: a fresh one starts small and regrows for
 *  each request (measured: 3.2 µs per 256-byte put against 0.9 µs reused). finish() copies the
 *  bytes out and resets it; a writer grown past REUSE_MAX_BYTES is let go (memory bound). */
let requestWriter = new BinaryWriter();
const REUSE_MAX_BYTES = 64 * 1024;

/** encodeRequest is StoreRequest.encode(req).finish() on the shared writer. */
function encodeRequest(req: StoreRequest): Uint8Array {
  try {
    const data = StoreRequest.encode(req, requestWriter).finish();
    if (data.length > REUSE_MAX_BYTES) requestWriter = new BinaryWriter();
    return data;
  } catch (err) {
    requestWriter = new BinaryWriter(); // Half-written: never reuse it.
    throw err;
  }
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
