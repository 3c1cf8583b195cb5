/**
 * SizeQueue: terminal resizes as the AsyncIterable a runtime consumes (StreamIo.resizes).
 * Bounded by keeping only the newest sizes — an old size nobody read is worthless.
 */
import type { TerminalSize } from './types.js';

/** SizeQueue buffers at most maxPending sizes, dropping the oldest. */
export class SizeQueue implements AsyncIterable<TerminalSize> {
  private readonly pending: TerminalSize[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(private readonly maxPending = 8) {}

  /** push adds a size (ignored after end). */
  push(size: TerminalSize): void {
    if (this.ended) return;
    this.pending.push(size);
    if (this.pending.length > this.maxPending) this.pending.shift();
    this.wake?.();
  }

  /** end finishes the iteration once the pending sizes are read. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TerminalSize> {
    for (;;) {
      const next = this.pending.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
