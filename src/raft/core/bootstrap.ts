/**
 * How a brand-new group starts, as etcd does it: the initial membership is written as committed
 * conf-change entries at indexes 1..n (term 1), so every member — including ones added later,
 * which replay the log from index 1 — learns the membership from the log itself.
 */
import { ConfChange as ConfChangeCodec } from '../../gen/k8ts/raft/v1/raft.js';
import { ConfChangeType, EMPTY, EntryType, type Entry, type HardState } from './types.js';

/** bootstrapEntries are the log of a group of `voters` that has done nothing yet; context(id),
 *  when given, is each conf change's context (the member's peer address). */
export function bootstrapEntries(voters: readonly number[], context?: (id: number) => Buffer): Entry[] {
  return voters.map((nodeId, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.ENTRY_TYPE_CONF_CHANGE,
    data: Buffer.from(ConfChangeCodec.encode({ type: ConfChangeType.CONF_CHANGE_TYPE_ADD_VOTER, nodeId, context: context?.(nodeId) ?? EMPTY }).finish()),
  }));
}

/** bootstrapHardState commits the bootstrap entries: they need no agreement. */
export function bootstrapHardState(voters: readonly number[]): HardState {
  return { term: 1, vote: 0, commit: voters.length };
}
