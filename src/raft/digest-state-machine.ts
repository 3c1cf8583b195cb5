/**
 * DigestStateMachine is the placeholder state machine a member runs until the MVCC store lands:
 * a count of applied payloads and a rolling SHA-256 over them. Two members that applied the same
 * log agree on both, so tests and `k8ts status` can compare replicas with one number.
 */
import { createHash } from 'node:crypto';
import { assert } from '../base/assert.js';
import type { StateMachine } from './node.js';

const ZERO_DIGEST = Buffer.alloc(32);

export class DigestStateMachine implements StateMachine {
  count = 0;
  digest: Buffer = ZERO_DIGEST;
  lastIndex = 0;

  apply(index: number, data: Buffer): void {
    assert(index > this.lastIndex, `apply out of order: ${index} after ${this.lastIndex}`);
    this.lastIndex = index;
    this.count++;
    this.digest = createHash('sha256').update(this.digest).update(data).digest();
  }

  snapshot(): Buffer {
    return Buffer.from(JSON.stringify({ count: this.count, digest: this.digest.toString('hex'), index: this.lastIndex }));
  }

  restore(data: Buffer, index: number): void {
    const s = JSON.parse(data.toString()) as { count: number; digest: string; index: number };
    assert(s.index === index, `snapshot image at ${s.index} restored as ${index}`);
    this.count = s.count;
    this.digest = Buffer.from(s.digest, 'hex');
    this.lastIndex = index;
  }

  /** summary is a short fingerprint for logs: count and the digest's first 8 hex digits. */
  summary(): string {
    return `${this.count}/${this.digest.toString('hex').slice(0, 8)}`;
  }
}
