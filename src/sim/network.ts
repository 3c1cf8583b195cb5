/**
 * SimNetwork carries Raft messages between simulated members on virtual time. Every fault is a
 * draw from one Prng: loss, duplication, a delay within a range (whose variance reorders messages),
 * symmetric and one-way partitions. Messages cross the network encoded with the wire codec, so
 * members share no objects (a member mutating what it received cannot corrupt the sender) and the
 * bytes tested are the bytes a real transport would carry.
 */
import { assert } from '../base/assert.js';
import type { Prng } from '../base/prng.js';
import { Message as MessageCodec, MessageType } from '../gen/k8ts/raft/v1/raft.js';
import type { Message } from '../raft/core/types.js';
import type { SimClock } from './clock.js';

/** NetworkFaults are the message-level fault rates in force; the harness changes them over time. */
export interface NetworkFaults {
  lossProbability: number;
  duplicateProbability: number;
  delayMsMin: number;
  delayMsMax: number;
}

export const calmNetwork: NetworkFaults = {
  lossProbability: 0,
  duplicateProbability: 0,
  delayMsMin: 1,
  delayMsMax: 3,
};

/** NetworkHandler is what the harness plugs in: delivery, and the transport's failure reports. */
export interface NetworkHandler {
  deliver(m: Message): void;
  /** A snapshot to `to` did not arrive: a real transport sees its stream fail and says so. */
  snapshotFailed(from: number, to: number): void;
  /** A snapshot to `to` arrived whole. */
  snapshotDelivered(from: number, to: number): void;
}

/** Bound on messages in flight: a member that floods the network is a bug worth failing on. */
const IN_FLIGHT_MAX = 200_000;

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
}

export class SimNetwork {
  faults: NetworkFaults = { ...calmNetwork };
  private readonly blocked = new Set<string>();
  private inFlight = 0;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };

  constructor(
    private readonly clock: SimClock,
    private readonly prng: Prng,
    private readonly handler: NetworkHandler,
  ) {}

  /** send queues each message with its own delay; the sender's extra latency (a slow disk that had
   *  to sync first) is added to every one. Links are judged by the member that sends, not by
   *  m.from: a forwarded proposal keeps its proposer in `from` (and may even come back to it, when
   *  leadership moved to the proposer meanwhile: such a message loops back, as to a local peer). */
  send(sender: number, messages: readonly Message[], extraDelayMs = 0): void {
    assert(extraDelayMs >= 0, `negative extra delay ${extraDelayMs}`);
    for (const m of messages) {
      this.stats.sent++;
      const copies = this.prng.chance(this.faults.duplicateProbability) ? 2 : 1;
      if (copies === 2) this.stats.duplicated++;
      const bytes = MessageCodec.encode(m).finish();
      for (let c = 0; c < copies; c++) this.schedule(sender, m, bytes, extraDelayMs);
    }
  }

  private schedule(sender: number, m: Message, bytes: Uint8Array, extraDelayMs: number): void {
    const lost = this.prng.chance(this.faults.lossProbability) || this.isBlocked(sender, m.to);
    const delayMs = extraDelayMs + this.prng.range(this.faults.delayMsMin, this.faults.delayMsMax);
    assert(this.inFlight < IN_FLIGHT_MAX, 'too many messages in flight');
    this.inFlight++;
    this.clock.setTimeout(() => {
      this.inFlight--;
      // A partition cut after sending drops what was on the wire too.
      if (lost || this.isBlocked(sender, m.to)) {
        this.stats.dropped++;
        if (m.type === MessageType.MESSAGE_TYPE_SNAP) this.handler.snapshotFailed(m.from, m.to);
        return;
      }
      this.stats.delivered++;
      this.handler.deliver(MessageCodec.decode(bytes));
      if (m.type === MessageType.MESSAGE_TYPE_SNAP) this.handler.snapshotDelivered(m.from, m.to);
    }, delayMs);
  }

  isBlocked(from: number, to: number): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  /** blockOneWay drops every message from → to (to can still reach from). */
  blockOneWay(from: number, to: number): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** partition splits members into groups that cannot reach one another (symmetric). */
  partition(groups: readonly (readonly number[])[]): void {
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) this.blockOneWay(x, y);
      }
    }
  }

  /** isolate cuts a member off from every other, both ways. */
  isolate(id: number, all: readonly number[]): void {
    for (const other of all) {
      if (other === id) continue;
      this.blockOneWay(id, other);
      this.blockOneWay(other, id);
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  /** describe lists the blocked links, sorted, for the event log. */
  describe(): string {
    return [...this.blocked].sort().join(' ') || 'none';
  }
}
