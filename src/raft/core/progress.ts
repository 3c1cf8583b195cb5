/**
 * Progress is the leader's view of one follower's log. Its state decides how the leader sends:
 * - probe: one append at a time until the follower's match point is found (after a reject);
 * - replicate: optimistic pipelining, bounded by the in-flight window;
 * - snapshot: waiting for an InstallSnapshot to land, nothing else is sent.
 */
import { assert } from '../../base/assert.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** Inflights bounds the append messages in flight to one follower, in number and (when
 *  maxBytes > 0) in entry bytes. Each slot remembers the last index the message carried and its
 *  bytes, freed when an ack covers it. As etcd's, the window is full once the bytes reach
 *  maxBytes, so one message may take it past the bound. */
export class Inflights {
  private readonly buf: number[];
  private readonly sizes: number[];
  private start = 0;
  count = 0;
  bytes = 0;

  constructor(readonly size: number, readonly maxBytes = 0) {
    assert(size > 0, 'inflight window must be > 0');
    this.buf = new Array<number>(size).fill(0);
    this.sizes = new Array<number>(size).fill(0);
  }

  add(lastIndex: number, bytes = 0): void {
    assert(!this.full(), 'inflights overflow');
    const at = (this.start + this.count) % this.size;
    this.buf[at] = lastIndex;
    this.sizes[at] = bytes;
    this.bytes += bytes;
    this.count++;
  }

  /** freeLE frees every slot whose last index is <= to (acks are cumulative). */
  freeLE(to: number): void {
    while (this.count > 0 && this.buf[this.start]! <= to) this.freeFirstOne();
  }

  freeFirstOne(): void {
    if (this.count === 0) return;
    this.bytes -= this.sizes[this.start]!;
    this.start = (this.start + 1) % this.size;
    this.count--;
  }

  full(): boolean {
    return this.count === this.size || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** Index of the snapshot being sent, while state is snapshot. */
  pendingSnapshot = 0;
  /** Heard from this member since the last CheckQuorum round. */
  recentActive = false;
  /** Election timeouts spent in snapshot state without an answer (see Raft.tickHeartbeat). */
  snapshotStaleRounds = 0;
  /** In probe state: an append is outstanding, wait for its answer (or a heartbeat response). */
  probeSent = false;
  /** The member acknowledged an append since the leader's last heartbeat tick: replication to
   *  it is flowing (see step-leader's handleHeartbeatResp). */
  ackedSinceBeat = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(next: number, maxInflight: number, isLearner: boolean, maxInflightBytes = 0) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
    this.isLearner = isLearner;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** maybeUpdate records an ack up to n; false when the ack is stale. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** optimisticUpdate assumes an append through n will succeed (pipelining). */
  optimisticUpdate(n: number): void {
    this.next = n + 1;
  }

  /** maybeDecrTo handles a rejected append at index rejected; matchHint is where the follower's
   *  log may agree. False when the rejection is stale. */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.snapshotStaleRounds = 0;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }
}
