/**
 * Types of the pure Raft core. The core steps the generated wire types directly (src/gen), so the
 * bytes persisted and the bytes sent are the messages the core produced, with no mapping layer.
 */
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  Snapshot,
} from '../../gen/k8ts/raft/v1/raft.js';
import type { Prng } from '../../base/prng.js';

export type { ConfChange, ConfState, Entry, HardState, Message, Snapshot };
export {
  ConfChangeType,
  EntryType,
  MessageType,
} from '../../gen/k8ts/raft/v1/raft.js';

/** NONE is the member id that means "nobody" (no vote, no leader). Real ids start at 1. */
export const NONE = 0;

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** RaftConfig configures one member's core. Every limit is explicit: nothing is unbounded. */
export interface RaftConfig {
  /** This member's id, > 0. */
  id: number;
  /** A follower that hears no leader for a random number of ticks in
   *  [electionTicks, 2*electionTicks) starts an election. */
  electionTicks: number;
  /** The leader sends heartbeats every heartbeatTicks; must be < electionTicks. */
  heartbeatTicks: number;
  /** PreVote (thesis §9.6): a partitioned member rejoining does not disrupt the leader. */
  preVote: boolean;
  /** CheckQuorum: a leader that has not heard from a quorum in an election timeout steps down. */
  checkQuorum: boolean;
  /** Bound on append messages in flight to one follower (pipelining window). */
  maxInflightMsgs: number;
  /** Bound on the bytes of entries in one append message (batching). */
  maxSizePerMsgBytes: number;
  /** Bound on the bytes of entries in flight to one follower (etcd raft's MaxInflightBytes; 0 or
   *  absent: only maxInflightMsgs bounds the window). Why: a follower catching up was sent a full
   *  window — 256 messages of up to 1 MiB in one Ready, one transport frame over gRPC's 16 MiB
   *  limit — and the stream failed on every retry, so it never caught up. */
  maxInflightBytes?: number;
  /** Bound on the bytes of proposed-but-uncommitted entries on the leader; beyond, proposals are
   *  dropped so a slow quorum cannot make the leader's memory grow without limit. */
  maxUncommittedBytes: number;
  /** When true, a follower answers proposals with NotLeader instead of forwarding them. */
  disableProposalForwarding: boolean;
  /** Seeded randomness for election timeouts: the core owns no other source of chance. */
  prng: Prng;
  /** Index already applied by the state machine when the member restarts. */
  applied: number;
}

/** ReadState answers a ReadIndex request: once applied >= index, a read reflects every write
 *  committed before the request was made. */
export interface ReadState {
  index: number;
  context: Buffer;
}

/** SoftState is volatile state worth reporting; it is never persisted. */
export interface SoftState {
  leader: number;
  role: Role;
}

/**
 * Ready is everything the core wants done. The driver performs it in this order:
 * 1. persist snapshot, entries and hardState (fdatasync when mustSync), then
 * 2. send messages, then
 * 3. apply snapshot and committedEntries to the state machine, then
 * 4. call advance(ready).
 */
export interface Ready {
  /** Set only when leader or role changed since the previous Ready. */
  softState?: SoftState;
  /** Set only when term, vote or commit changed. */
  hardState?: HardState;
  /** Entries to append to stable storage; they replace any stored suffix from their first index. */
  entries: Entry[];
  /** A snapshot received from the leader, to persist and restore into the state machine. */
  snapshot?: Snapshot;
  /** Entries committed and not yet applied, in order. */
  committedEntries: Entry[];
  /** Messages to send after persisting. */
  messages: Message[];
  readStates: ReadState[];
  /** Whether hardState/entries must be fsynced before messages go out (term, vote or entries
   *  changed: a member must not answer with state it could forget). */
  mustSync: boolean;
}

/** Why a proposal was not accepted. An operating condition, not a bug: callers retry or redirect. */
export type ProposalRejection =
  | { reason: 'no-leader' }
  | { reason: 'not-leader'; leader: number }
  | { reason: 'transferring'; leader: number }
  | { reason: 'too-large' }
  | { reason: 'conf-change-pending' };

/**
 * LogStorage is the stable log as the core reads it: everything persisted so far. Durable
 * implementations (src/raft/io) keep it on disk; MemoryStorage is the reference implementation.
 */
export interface LogStorage {
  /** State recovered at start: hard state and membership. */
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at least one even if it exceeds maxBytes. Throws CompactedError /
   *  UnavailableError. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of the entry at index; the snapshot's index answers with the snapshot's term. */
  term(index: number): number;
  /** Index of the first entry still available (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot; its data may be empty when none was taken. */
  snapshot(): Snapshot;
}

/** CompactedError: the requested index is below the first available (it is in a snapshot). */
export class CompactedError extends Error {
  override name = 'CompactedError';
}

/** UnavailableError: the requested index is beyond the last stored one. */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
}

/** emptyMessage gives a Message with every field at its proto default. */
export function message(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    to: NONE,
    from: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    snapshot: undefined,
    reject: false,
    rejectHint: 0,
    context: EMPTY,
    ...fields,
  };
}

export const EMPTY: Buffer = Buffer.alloc(0);

/** entrySizeBytes approximates an entry's encoded size for batching limits. */
export function entrySizeBytes(e: Entry): number {
  return e.data.length + 24;
}
