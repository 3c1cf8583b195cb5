/**
 * The snapshot image (k8ts.store.v1.StoreSnapshot): the revision log from the compaction revision
 * on, plus the versions compaction kept from before it, plus leases, alarms, members and the
 * applied index. Restoring replays the kept revisions into an empty MvccStore, so a restored
 * member holds exactly the versions — and answers exactly the history and hash — of one that
 * applied the log.
 */
import { assert } from '../../base/assert.js';
import type { AlarmMember } from '../../gen/etcdserverpb/rpc.js';
import { StoreSnapshot, type MemberRecord, type Revision } from '../../gen/k8ts/store/v1/store.js';
import type { KeyValue } from '../../gen/mvccpb/kv.js';
import type { LeaseInfo } from '../types.js';
import { modRev } from './key-history.js';
import type { MvccStore } from './mvcc-store.js';

/** SnapshotParts is everything outside the MvccStore that an image carries. */
export interface SnapshotParts {
  leases: LeaseInfo[];
  alarms: AlarmMember[];
  members: MemberRecord[];
  appliedIndex: number;
}

export function encodeSnapshot(parts: SnapshotParts & { store: MvccStore }): Buffer {
  const { store } = parts;
  const compactRev = store.compactRevision();
  const compactedLive: KeyValue[] = [];
  if (compactRev > 0) {
    for (const hist of store.order.all()) {
      for (const kv of hist.versions) {
        if (modRev(kv) >= compactRev) break;
        compactedLive.push(kv);
      }
    }
  }
  const revisions: Revision[] = [];
  for (const record of store.log.from(compactRev)) {
    revisions.push({ revision: BigInt(record.revision), kvs: record.kvs as KeyValue[], trace: record.trace });
  }
  const bytes = StoreSnapshot.encode({
    revision: BigInt(store.revision()),
    compactRevision: BigInt(compactRev),
    revisions,
    leases: parts.leases.map((l) => ({ id: l.id, ttl: BigInt(l.ttl) })),
    alarms: parts.alarms,
    members: parts.members,
    compactedLive,
    appliedIndex: BigInt(parts.appliedIndex),
  }).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** decodeSnapshot fills the empty `store` from image and returns the other parts. */
export function decodeSnapshot(image: Buffer, store: MvccStore): SnapshotParts {
  const snap = StoreSnapshot.decode(image);
  const revision = Number(snap.revision);
  const compactRev = Number(snap.compactRevision);
  assert(revision >= 1 && compactRev >= 0 && compactRev <= revision, 'snapshot: bad revisions');
  store.restoreBegin(revision, compactRev);
  for (const kv of snap.compactedLive) store.restoreVersion(kv);
  for (const r of snap.revisions) {
    store.restoreRecord({ revision: Number(r.revision), kvs: r.kvs, trace: r.trace });
  }
  assert(store.log.lastRevision() <= revision, 'snapshot: history beyond its revision');
  return {
    leases: snap.leases.map((l) => ({ id: l.id, ttl: Number(l.ttl) })),
    alarms: snap.alarms,
    members: snap.members,
    appliedIndex: Number(snap.appliedIndex),
  };
}
