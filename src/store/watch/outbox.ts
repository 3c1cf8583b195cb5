/**
 * Outbox is one stream's queue of responses waiting for the gRPC shell, with their estimated
 * bytes. The hub decides what may enter (it checks hasRoom before queueing events); the shell
 * takes from the front whenever gRPC can accept more.
 */
import { assert } from '../../base/assert.js';
import type { WatchResponse } from '../../gen/etcdserverpb/rpc.js';

interface Entry {
  resp: WatchResponse;
  bytes: number;
  /** How many whole revisions' events the response carries (0: a control response or a
   *  fragment, which nothing may be appended to). */
  revisions: number;
}

/** QueuedEvents is the newest queued response, while it is still in the queue. */
export interface QueuedEvents {
  readonly resp: WatchResponse;
  readonly bytes: number;
  readonly revisions: number;
}

export class Outbox {
  private items: Entry[] = [];
  private head = 0;
  private total = 0;

  constructor(readonly maxBytes: number) {
    assert(maxBytes > 0, 'Outbox: maxBytes must be positive');
  }

  /** bytes is the estimated size of everything queued. */
  get bytes(): number {
    return this.total;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** hasRoom says whether `bytes` more fit: always into an empty queue (so a response larger
   *  than the bound still moves), otherwise only within maxBytes. */
  hasRoom(bytes: number): boolean {
    return this.total === 0 || this.total + bytes <= this.maxBytes;
  }

  /** below says whether the queue drained under `fraction` of its bound. */
  below(fraction: number): boolean {
    return this.total <= this.maxBytes * fraction;
  }

  push(resp: WatchResponse, bytes: number, revisions = 0): void {
    assert(bytes > 0, 'Outbox.push: size must be positive');
    this.items.push({ resp, bytes, revisions });
    this.total += bytes;
  }

  /** tail is the newest response not yet taken, if any. */
  tail(): QueuedEvents | undefined {
    return this.head === this.items.length ? undefined : this.items[this.items.length - 1];
  }

  /** grewTail accounts for `bytes` and one more revision the hub appended to the tail. */
  grewTail(bytes: number): void {
    const e = this.items[this.items.length - 1];
    assert(this.head < this.items.length && e !== undefined && e.revisions > 0, 'Outbox: no tail');
    e.bytes += bytes;
    e.revisions++;
    this.total += bytes;
  }

  shift(): WatchResponse | undefined {
    if (this.head === this.items.length) return undefined;
    const e = this.items[this.head];
    assert(e !== undefined, 'Outbox: hole in queue');
    this.items[this.head] = undefined as unknown as Entry;
    this.head++;
    this.total -= e.bytes;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      assert(this.total === 0, `Outbox: ${this.total} bytes left in an empty queue`);
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return e.resp;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.total = 0;
  }
}
