/**
 * ProposalQueue holds the proposals a RaftNode received since its last process(), so that they
 * enter the core together instead of one by one. Why: a proposal stepped alone makes the leader
 * send every follower an append of its own, which every follower stores and acknowledges on its
 * own — per entry, a message encoded, decoded, stepped and answered on every member. Queued until
 * the driver's next turn (which the group commit waits for anyway), the proposals of one turn
 * cost one append and one acknowledgement per follower.
 *
 * The queue is bounded by the node: every queued proposal also has a waiter, and the node refuses
 * new proposals beyond maxPendingRequests waiters.
 */

/** QueuedProposal is one proposal's enveloped payload and the key its waiter is filed under
 *  (the proposal's sequence number in this RaftNode, also in its envelope). */
export interface QueuedProposal {
  key: number;
  data: Buffer;
}

/** ENVELOPE_BYTES lead every proposed entry: the proposer's member id, its incarnation and the
 *  proposal's sequence number, so the member that proposed an entry finds its waiter when it
 *  applies it. Here, not in node.ts, so an encoder can leave room for it without loading Raft
 *  code (request-encode.ts runs on the store's I/O thread too). */
export const ENVELOPE_BYTES = 16;

/** Payload bytes per batch: about one append message's worth (the member's maxSizePerMsgBytes),
 *  so when the leader's uncommitted-bytes budget refuses a batch it refuses at most that much
 *  more than proposing one by one would have. */
export const MAX_BATCH_BYTES = 1024 * 1024;

export class ProposalQueue {
  private items: QueuedProposal[] = [];

  get length(): number {
    return this.items.length;
  }

  push(p: QueuedProposal): void {
    this.items.push(p);
  }

  /** clear empties the queue and returns what it held (to fail their waiters). */
  clear(): QueuedProposal[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  /** drain empties the queue into batches in arrival order, each of at most maxBytes of payload
   *  (a larger proposal forms a batch of its own). */
  drain(maxBytes: number = MAX_BATCH_BYTES): QueuedProposal[][] {
    const batches: QueuedProposal[][] = [];
    let batch: QueuedProposal[] = [];
    let bytes = 0;
    for (const p of this.clear()) {
      if (batch.length > 0 && bytes + p.data.length > maxBytes) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(p);
      bytes += p.data.length;
    }
    if (batch.length > 0) batches.push(batch);
    return batches;
  }
}
