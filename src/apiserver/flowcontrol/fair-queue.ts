/**
 * FairQueue: one priority level's waiting requests, one FIFO per flow, served round-robin over
 * the flows that have something waiting — the fairness of upstream's fair queuing without its
 * virtual clock (every write here costs about the same, so taking turns is enough). Pure: no
 * timers, no promises; the dispatcher (flow-control.ts) owns time.
 */
import { assert } from '../../base/assert.js';

/** Waiting: what the queue needs to know about a waiting request. */
export interface Waiting {
  flow: string;
}

/** FairQueue bounds: a full flow or a full level refuses the request (push returns false). */
export class FairQueue<T extends Waiting> {
  private readonly flows = new Map<string, T[]>();
  /** Flows with something waiting, in the order they take turns. */
  private readonly ring: string[] = [];
  private cursor = 0;
  private count = 0;

  constructor(
    private readonly levelMax: number,
    private readonly flowMax: number,
  ) {
    assert(levelMax >= 1 && flowMax >= 1, 'fair queue: bad bounds');
  }

  /** size is how many requests wait in this level. */
  get size(): number {
    return this.count;
  }

  /** push queues w behind its flow; false when its flow or the level is full. */
  push(w: T): boolean {
    if (this.count >= this.levelMax) return false;
    let q = this.flows.get(w.flow);
    if (q === undefined) {
      q = [];
      this.flows.set(w.flow, q);
      this.ring.push(w.flow);
    }
    if (q.length >= this.flowMax) return false;
    q.push(w);
    this.count++;
    return true;
  }

  /** pop takes the head of the next flow in turn. */
  pop(): T | undefined {
    if (this.count === 0) return undefined;
    if (this.cursor >= this.ring.length) this.cursor = 0;
    const flow = this.ring[this.cursor] ?? '';
    const q = this.flows.get(flow) ?? [];
    const w = q.shift();
    assert(w !== undefined, `fair queue: flow ${flow} in the ring with nothing waiting`);
    this.count--;
    if (q.length === 0) this.dropFlow(this.cursor);
    else this.cursor++;
    return w;
  }

  /** removeWhere takes out every waiting request drop selects (each flow's in its order). */
  removeWhere(drop: (w: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = this.ring.length - 1; i >= 0; i--) {
      const flow = this.ring[i] ?? '';
      const q = this.flows.get(flow) ?? [];
      const keep: T[] = [];
      const dropped: T[] = [];
      for (const w of q) (drop(w) ? dropped : keep).push(w);
      if (dropped.length === 0) continue;
      out.unshift(...dropped);
      this.count -= dropped.length;
      if (keep.length === 0) {
        this.dropFlow(i);
        if (i < this.cursor) this.cursor--;
      } else {
        this.flows.set(flow, keep);
      }
    }
    return out;
  }

  private dropFlow(i: number): void {
    const flow = this.ring[i] ?? '';
    this.flows.delete(flow);
    this.ring.splice(i, 1);
  }
}
