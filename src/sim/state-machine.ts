/**
 * ListStateMachine is the simulator's test state machine: the ordered list of applied payloads and
 * a hash chain over them. The chain makes "same state" an O(1) comparison at every index; the list
 * lets the checker ask what a member's state holds at an index (acknowledged writes, reads). Its
 * snapshot is the whole list, so InstallSnapshot moves real state and restore is checked too.
 */
import { assert } from '../base/assert.js';
import type { StateMachine } from '../raft/node.js';
import { hashBytes, hashCombine, type Hash, type StateView } from './checkers.js';

/** Bound on entries one state machine holds: a run that exceeds it is mis-sized, not a bug. */
const ENTRIES_MAX = 1_000_000;

interface Image {
  digest: Hash;
  through: number;
  entries: [number, string][];
}

export class ListStateMachine implements StateMachine, StateView {
  /** Chain hash over (index, payload) of every normal entry applied. */
  digest: Hash = 0;
  /** Highest log index reflected in the state (set by the harness for non-normal entries too). */
  through = 0;
  private readonly payloads = new Map<number, string>();

  constructor(private readonly onRestore: (index: number, digest: Hash) => void) {}

  apply(index: number, data: Buffer): void {
    assert(index > this.through, `apply ${index} after ${this.through}`);
    assert(this.payloads.size < ENTRIES_MAX, 'state machine too large for the simulator');
    const payload = data.toString('latin1');
    this.payloads.set(index, payload);
    this.digest = hashCombine(this.digest, index, hashBytes(data));
    this.through = index;
  }

  /** advanceTo records that a non-normal entry (conf change, empty) at index was applied. */
  advanceTo(index: number): void {
    assert(index >= this.through, `state machine moved back from ${this.through} to ${index}`);
    this.through = index;
  }

  snapshot(): Buffer {
    const image: Image = { digest: this.digest, through: this.through, entries: [...this.payloads] };
    return Buffer.from(JSON.stringify(image));
  }

  restore(data: Buffer, index: number): void {
    const image = JSON.parse(data.toString()) as Image;
    assert(image.through === index, `snapshot image through ${image.through} restored at ${index}`);
    this.payloads.clear();
    for (const [i, p] of image.entries) this.payloads.set(i, p);
    this.digest = image.digest;
    this.through = index;
    this.onRestore(index, this.digest);
  }

  appliedIndex(): number {
    return this.through;
  }

  payloadAt(index: number): string | undefined {
    return this.payloads.get(index);
  }

  size(): number {
    return this.payloads.size;
  }
}
