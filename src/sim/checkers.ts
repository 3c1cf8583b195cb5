/**
 * SafetyChecker holds the simulator's model of what Raft promises and throws SafetyViolation the
 * moment a member breaks a promise. It is fed incrementally (every persisted entry, every apply,
 * every leader seen, every client acknowledgement) so checking after every step costs O(1) per
 * event instead of a scan of every log:
 *
 * - Election Safety: at most one leader per term.
 * - Log Matching: two logs with an entry of the same index and term hold the same entry and the
 *   same prefix. Each member keeps a prefix hash per index (hash of the prefix hash before it and
 *   the entry); the first (index, term) seen fixes the hash every later sighting must equal.
 * - Leader Completeness: a new leader's log holds every entry known to be committed.
 * - State Machine Safety: no two members apply different entries (or reach different states) at
 *   one index.
 * - Durability of acknowledged writes: a proposal whose promise resolved is the committed entry at
 *   its index, and stays so in every state machine that gets that far.
 * - Linearizable reads: a ReadIndex that starts after a write was acknowledged returns an index at
 *   or beyond it and a state that contains it.
 */
import { assert } from '../base/assert.js';
import type { Entry } from '../raft/core/types.js';

/** SafetyViolation is a broken Raft guarantee: the seed that produced it is a bug report. */
export class SafetyViolation extends Error {
  override name = 'SafetyViolation';
}

/** Hash is 53 bits in a double (two 32-bit FNV lanes), enough that collisions never hide a bug. */
export type Hash = number;

const LANE = 2 ** 21;

/** hashBytes hashes data with two FNV-1a lanes of different offsets. */
export function hashBytes(data: Uint8Array, seed = 0): Hash {
  let a = (0x811c9dc5 ^ seed) >>> 0;
  let b = (0x01000193 ^ (seed * 31)) >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return a * LANE + (b & (LANE - 1));
}

/** hashCombine folds numbers into a hash, deterministically. */
export function hashCombine(...xs: number[]): Hash {
  let a = 0x9747b28c;
  let b = 0x2545f491;
  for (const x of xs) {
    const lo = x % 4294967296 >>> 0;
    const hi = Math.floor(x / 4294967296) >>> 0;
    a = Math.imul(a ^ lo, 0x01000193) >>> 0;
    a = Math.imul(a ^ hi, 0x01000193) >>> 0;
    b = Math.imul(b ^ lo, 0x5bd1e995) >>> 0;
    b = Math.imul((b ^ hi ^ (b >>> 15)) >>> 0, 0x5bd1e995) >>> 0;
  }
  return a * LANE + (b & (LANE - 1));
}

/** CommittedRecord is what the first member to apply an index saw there. */
interface CommittedRecord {
  term: number;
  dataHash: Hash;
  /** Prefix hash of the log through this index, undefined when the applier could not know it. */
  prefix: Hash | undefined;
  /** State machine digest after applying this index. */
  smDigest: Hash;
  /** Client payload of a normal entry (undefined for conf changes and empty entries). */
  payload: string | undefined;
  by: number;
}

/** MemberLog is one member's persisted log as prefix hashes: hashes[k] covers index base + k. */
interface MemberLog {
  base: number;
  hashes: (Hash | undefined)[];
}

/** Ack is a write whose propose() promise resolved: the client was told it is durable. */
export interface Ack {
  payload: string;
  index: number;
  term: number;
}

/** ReadToken is taken when a read starts: the newest write acknowledged before it. */
export interface ReadToken {
  ackedIndex: number;
  ackedPayload: string | undefined;
}

/** StateView is what the checker needs to read from a member's state machine. */
export interface StateView {
  appliedIndex(): number;
  payloadAt(index: number): string | undefined;
}

const TERM_MAX = 2 ** 20;

export class SafetyChecker {
  private readonly leaders = new Map<number, number>();
  private readonly prefixByIndexTerm = new Map<number, Hash>();
  private readonly logs = new Map<number, MemberLog>();
  private readonly committed = new Map<number, CommittedRecord>();
  private committedMax = 0;
  private readonly acks: Ack[] = [];
  private ackedMax: Ack | undefined;
  /** Counters for the summary line: what the checker actually looked at. */
  readonly counts = { leaders: 0, entries: 0, applies: 0, acks: 0, reads: 0 };

  /** observeLeader records that id leads term; a second leader in one term is a violation. A
   *  leader seen for the first time must hold every committed entry (Leader Completeness). */
  observeLeader(id: number, term: number): void {
    const prev = this.leaders.get(term);
    if (prev === id) return;
    if (prev !== undefined) {
      throw new SafetyViolation(`election safety: members ${prev} and ${id} both lead term ${term}`);
    }
    this.leaders.set(term, id);
    this.counts.leaders++;
    this.checkLeaderCompleteness(id, term);
  }

  private checkLeaderCompleteness(id: number, term: number): void {
    const c = this.committedMax;
    if (c === 0) return;
    const log = this.logs.get(id);
    if (log === undefined) return;
    if (log.base >= c) return; // its snapshot covers every committed entry (checked on install)
    const last = log.base + log.hashes.length - 1;
    if (last < c) {
      throw new SafetyViolation(
        `leader completeness: member ${id} leads term ${term} with last index ${last} but ` +
          `index ${c} is committed`,
      );
    }
    const have = log.hashes[c - log.base];
    const want = this.committed.get(c)!.prefix;
    if (have !== undefined && want !== undefined && have !== want) {
      throw new SafetyViolation(
        `leader completeness: member ${id} leads term ${term} but its log through committed ` +
          `index ${c} differs from the committed log`,
      );
    }
  }

  /** resetLog says member id's log now starts after (index, term): a snapshot, or a restart. */
  resetLog(id: number, index: number, term: number): void {
    const rec = this.committed.get(index);
    if (rec !== undefined && index > 0 && rec.term !== term) {
      throw new SafetyViolation(
        `snapshot at index ${index} has term ${term} but the committed entry there has term ${rec.term}`,
      );
    }
    const known = index === 0 ? 0 : this.prefixByIndexTerm.get(key(index, term));
    this.logs.set(id, { base: index, hashes: [known] });
  }

  /** observeAppend records entries member id persisted; they replace its log from entries[0]. */
  observeAppend(id: number, entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const log = this.logs.get(id);
    assert(log !== undefined, `member ${id} appended before its log was reset`);
    const first = entries[0]!.index;
    const skip = Math.max(0, log.base + 1 - first); // already compacted on this member
    if (skip >= entries.length) return;
    const start = first + skip;
    assert(start <= log.base + log.hashes.length, `member ${id}: gap appending ${start}`);
    log.hashes.length = start - log.base;
    for (let i = skip; i < entries.length; i++) {
      const e = entries[i]!;
      assert(e.term < TERM_MAX, `term ${e.term} too large for the checker`);
      const prev = log.hashes[e.index - 1 - log.base];
      const h = prev === undefined ? undefined : hashCombine(prev, e.index, e.term, hashBytes(e.data));
      log.hashes.push(h);
      this.counts.entries++;
      if (h === undefined) continue;
      const k = key(e.index, e.term);
      const seen = this.prefixByIndexTerm.get(k);
      if (seen === undefined) this.prefixByIndexTerm.set(k, h);
      else if (seen !== h) {
        throw new SafetyViolation(
          `log matching: member ${id} holds an entry at index ${e.index} term ${e.term} whose ` +
            `log prefix differs from another member's entry at the same index and term`,
        );
      }
    }
  }

  /** observeApplied checks the entry member id just applied against every other member's. */
  observeApplied(id: number, e: Entry, smDigest: Hash, payload: string | undefined): void {
    this.counts.applies++;
    const log = this.logs.get(id);
    const prefix = log && e.index > log.base ? log.hashes[e.index - log.base] : undefined;
    const dataHash = hashBytes(e.data);
    const rec = this.committed.get(e.index);
    if (rec === undefined) {
      this.committed.set(e.index, { term: e.term, dataHash, prefix, smDigest, payload, by: id });
      if (e.index > this.committedMax) this.committedMax = e.index;
      return;
    }
    if (rec.term !== e.term || rec.dataHash !== dataHash || rec.payload !== payload) {
      throw new SafetyViolation(
        `state machine safety: member ${id} applied index ${e.index} term ${e.term} ` +
          `(${payload ?? '-'}) but member ${rec.by} applied term ${rec.term} (${rec.payload ?? '-'})`,
      );
    }
    if (rec.smDigest !== smDigest) {
      throw new SafetyViolation(
        `state machine safety: member ${id}'s state after index ${e.index} differs from member ${rec.by}'s`,
      );
    }
    if (rec.prefix === undefined) rec.prefix = prefix;
  }

  /** observeRestore checks a state machine restored from a snapshot at index. */
  observeRestore(id: number, index: number, smDigest: Hash): void {
    const rec = this.committed.get(index);
    if (rec !== undefined && rec.smDigest !== smDigest) {
      throw new SafetyViolation(
        `state machine safety: member ${id} restored a snapshot at ${index} whose state differs ` +
          `from what member ${rec.by} applied`,
      );
    }
  }

  /** observeAck records an acknowledged write and checks it is the committed entry at its index. */
  observeAck(ack: Ack): void {
    this.counts.acks++;
    const rec = this.committed.get(ack.index);
    if (rec === undefined || rec.term !== ack.term || rec.payload !== ack.payload) {
      throw new SafetyViolation(
        `acknowledged write ${ack.payload} at index ${ack.index} term ${ack.term} is not the ` +
          `committed entry there (${rec ? `${rec.payload ?? '-'} term ${rec.term}` : 'nothing committed'})`,
      );
    }
    this.acks.push(ack);
    if (this.ackedMax === undefined || ack.index > this.ackedMax.index) this.ackedMax = ack;
  }

  /** readStarted takes the token a read is later checked against. */
  readStarted(): ReadToken {
    return { ackedIndex: this.ackedMax?.index ?? 0, ackedPayload: this.ackedMax?.payload };
  }

  /** readCompleted checks a ReadIndex answer: its index covers every write acknowledged before
   *  the read began, and the member's state, read now, contains the newest of them. */
  readCompleted(token: ReadToken, member: number, readIndex: number, state: StateView): void {
    this.counts.reads++;
    if (readIndex < token.ackedIndex) {
      throw new SafetyViolation(
        `stale read: member ${member} answered a read at index ${readIndex} but write ` +
          `${token.ackedPayload} was acknowledged at index ${token.ackedIndex} before the read began`,
      );
    }
    if (state.appliedIndex() < readIndex) {
      throw new SafetyViolation(
        `stale read: member ${member} answered read index ${readIndex} with state applied only ` +
          `through ${state.appliedIndex()}`,
      );
    }
    if (token.ackedIndex > 0 && state.payloadAt(token.ackedIndex) !== token.ackedPayload) {
      throw new SafetyViolation(
        `stale read: member ${member}'s state lacks write ${token.ackedPayload} at index ` +
          `${token.ackedIndex}, acknowledged before the read began`,
      );
    }
  }

  /** checkAcksIn checks every acknowledged write a state machine has reached is still there. */
  checkAcksIn(member: number, state: StateView): void {
    const applied = state.appliedIndex();
    for (const ack of this.acks) {
      if (ack.index > applied) continue;
      const got = state.payloadAt(ack.index);
      if (got !== ack.payload) {
        throw new SafetyViolation(
          `lost acknowledged write: ${ack.payload} was acknowledged at index ${ack.index} but ` +
            `member ${member}'s state holds ${got ?? 'nothing'} there`,
        );
      }
    }
  }

  ackedMaxIndex(): number {
    return this.ackedMax?.index ?? 0;
  }

  committedMaxIndex(): number {
    return this.committedMax;
  }
}

function key(index: number, term: number): number {
  return index * TERM_MAX + term;
}
