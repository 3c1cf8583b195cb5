/**
 * WatchBatcher: the events a watch has to send, gathered into one gRPC message per turn of the
 * event loop instead of one message each. The API server's watch cache hands a watcher every
 * event of a store watch response on the same turn, and the store answers a burst of writes
 * (the scheduler binding hundreds of pods a second) with many small responses that arrive
 * together; one message per event cost an HTTP/2 DATA frame, a socket write and a client-side
 * decode each, which was most of what an API server spent serving its informers.
 *
 * Order is kept (a batch is written whole, in arrival order, before the next one starts), and a
 * batch never waits past the current turn: it is flushed by setImmediate, or at once when it
 * reaches MAX_BATCH_EVENTS events or MAX_BATCH_BYTES of object JSON, so a message stays small
 * and no event is held back for a timer.
 */
import type { WatchEvent } from '../../gen/k8ts/api/v1/api.js';

/** Events per message at most (the watch cache delivers up to 256 per turn per watcher). */
export const MAX_BATCH_EVENTS = 128;
/** Object JSON bytes per message beyond which the batch is sent at once. */
export const MAX_BATCH_BYTES = 256 * 1024;

export class WatchBatcher {
  private pending: WatchEvent[] = [];
  private bytes = 0;
  private armed: NodeJS.Immediate | undefined;

  /** write sends one message (all the events given); its result is the stream's (backpressure). */
  constructor(private readonly write: (events: WatchEvent[]) => void) {}

  /** size is the number of events waiting for the next message. */
  get size(): number {
    return this.pending.length;
  }

  /** add queues one event for the current turn's message. */
  add(e: WatchEvent): void {
    this.pending.push(e);
    this.bytes += e.objectJson.length;
    if (this.pending.length >= MAX_BATCH_EVENTS || this.bytes >= MAX_BATCH_BYTES) this.flush();
    else this.armed ??= setImmediate(() => this.flush());
  }

  /** flush sends what is waiting now (nothing if nothing is). */
  flush(): void {
    if (this.armed !== undefined) clearImmediate(this.armed);
    this.armed = undefined;
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    this.bytes = 0;
    this.write(events);
  }

  /** drop forgets what is waiting (the watch ended). */
  drop(): void {
    if (this.armed !== undefined) clearImmediate(this.armed);
    this.armed = undefined;
    this.pending = [];
    this.bytes = 0;
  }
}
