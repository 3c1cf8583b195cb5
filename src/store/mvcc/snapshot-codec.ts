/**
 * The snapshot image (k8ts.store.v1.StoreSnapshot): the revision log from the compaction revision
 * on, plus the versions compaction kept from before it, plus leases, alarms, members and the
 * applied index. Restoring replays the kept revisions into an empty MvccStore, so a restored
 * member holds exactly the versions — and answers exactly the history and hash — of one that
 * applied the log.
 */
import { assert } from '../../base/assert.js';
import { bytesFieldHeader } from '../../base/proto-wire.js';
import type { AlarmMember } from '../../gen/etcdserverpb/rpc.js';
import { StoreSnapshot, type MemberRecord } from '../../gen/k8ts/store/v1/store.js';
import type { KeyValue } from '../../gen/mvccpb/kv.js';
import type { LeaseInfo } from '../types.js';
import { HistoryPacker, unpackHistory } from './history-codec.js';
import type { MvccStore } from './mvcc-store.js';

/** SnapshotParts is everything outside the MvccStore that an image carries. */
export interface SnapshotParts {
  leases: LeaseInfo[];
  alarms: AlarmMember[];
  members: MemberRecord[];
  appliedIndex: number;
}

export function encodeSnapshot(parts: SnapshotParts & { store: MvccStore }): Buffer {
  const image = snapshotJob(parts).step(Number.POSITIVE_INFINITY);
  assert(image !== undefined, 'encodeSnapshot: an unbounded step finishes');
  return image;
}

/** SnapshotJob builds an image a slice at a time (see RaftNode's background snapshots). */
export interface SnapshotJob {
  /** step does about maxUnits versions of work; returns the image once complete. */
  step(maxUnits: number): Buffer | undefined;
}

/** snapshotJob captures the image's contents now — the small tables by value, the history as
 *  references to its immutable version objects and revision records, so writes and compactions
 *  applied meanwhile cannot change it — and packs them over as many steps as it takes. */
export function snapshotJob(parts: SnapshotParts & { store: MvccStore }): SnapshotJob {
  const { store } = parts;
  const compactRev = store.compactRevision();
  const compactedLive: KeyValue[] = [];
  if (compactRev > 0) {
    for (const hist of store.order.all()) hist.collectBelow(compactRev, compactedLive);
  }
  const revisions = store.log.span(compactRev);
  const envelope = StoreSnapshot.encode({
    revision: BigInt(store.revision()),
    compactRevision: BigInt(compactRev),
    history: EMPTY,
    leases: parts.leases.map((l) => ({ id: l.id, ttl: BigInt(l.ttl) })),
    alarms: parts.alarms.map((a) => ({ ...a })),
    members: parts.members.map((m) => ({ ...m, peerUrls: [...m.peerUrls], clientUrls: [...m.clientUrls] })),
    appliedIndex: BigInt(parts.appliedIndex),
  }).finish();
  // The history is appended as field 3 by hand, into the packer's one buffer: the generated
  // writer copies a large bytes field slowly (~200 ms for 30 MB), and protobuf allows fields in
  // any order, so this is the same StoreSnapshot message, decodable by any protobuf reader.
  return new HistoryPacker({ older: compactedLive, revisions }, (historyBytes) =>
    Buffer.concat([envelope, bytesFieldHeader(HISTORY_FIELD, historyBytes)]));
}

const EMPTY = Buffer.alloc(0);
const HISTORY_FIELD = 3;

/** decodeSnapshot fills the empty `store` from image and returns the other parts. */
export function decodeSnapshot(image: Buffer, store: MvccStore): SnapshotParts {
  const snap = StoreSnapshot.decode(image);
  const revision = Number(snap.revision);
  const compactRev = Number(snap.compactRevision);
  assert(revision >= 1 && compactRev >= 0 && compactRev <= revision, 'snapshot: bad revisions');
  store.restoreBegin(revision, compactRev);
  const history = unpackHistory(snap.history);
  for (const kv of history.older) store.restoreVersion(kv);
  for (const record of history.revisions) store.restoreRecord(record);
  store.restoreEnd();
  assert(store.log.lastRevision() <= revision, 'snapshot: history beyond its revision');
  return {
    leases: snap.leases.map((l) => ({ id: l.id, ttl: Number(l.ttl) })),
    alarms: snap.alarms,
    members: snap.members,
    appliedIndex: Number(snap.appliedIndex),
  };
}
