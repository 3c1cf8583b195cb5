/**
 * ReadOnly tracks ReadIndex requests on the leader (thesis §6.4): each remembers the commit index
 * when it arrived, and is answered once a quorum acknowledged a heartbeat sent after it — proof that
 * this member was still the leader, so no newer commit can exist elsewhere.
 */
import { assert } from '../../base/assert.js';
import type { Message } from './types.js';

export interface ReadIndexStatus {
  req: Message;
  index: number;
  acks: Set<number>;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(private readonly maxPending: number) {}

  /** addRequest queues a read; false when the queue is full (the caller drops the request). */
  addRequest(index: number, req: Message): boolean {
    const key = req.context.toString('latin1');
    if (this.pending.has(key)) return true;
    if (this.queue.length >= this.maxPending) return false;
    this.pending.set(key, { req, index, acks: new Set() });
    this.queue.push(key);
    return true;
  }

  /** recvAck records that id acknowledged the heartbeat for ctx; returns the acks so far. */
  recvAck(id: number, ctx: Buffer): Set<number> | undefined {
    const rs = this.pending.get(ctx.toString('latin1'));
    if (!rs) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** advance releases every request queued up to and including ctx: a quorum acked a heartbeat
   *  sent after all of them. */
  advance(ctx: Buffer): ReadIndexStatus[] {
    const key = ctx.toString('latin1');
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1).map((k) => {
      const rs = this.pending.get(k);
      assert(rs !== undefined, 'read-only queue and map disagree');
      this.pending.delete(k);
      return rs;
    });
    this.queue = this.queue.slice(at + 1);
    return done;
  }

  lastPendingContext(): Buffer | undefined {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? undefined : this.pending.get(k)!.req.context;
  }

  size(): number {
    return this.queue.length;
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
