/**
 * StoreLog adapts the store's state to the Raft driver: log payloads are encoded StoreRequests,
 * membership changes are recorded for MemberList, and the state's image is the snapshot.
 */
import { status } from '@grpc/grpc-js';
import type { StoreRequest } from '../../gen/k8ts/store/v1/store.js';
import type { ConfChange } from '../../raft/core/types.js';
import type { SnapshotJob, StateMachine } from '../../raft/node.js';
import { decodeStoreRequest } from '../apply/request-decode.js';
import { validateRequest } from '../apply/validate.js';
import { EtcdError } from '../errors.js';
import type { ApplyOutcome, StoreState } from '../types.js';

/** Largest state whose HashKV the status summary computes (a few ms of hashing). */
const SUMMARY_HASH_MAX_BYTES = 4 * 1024 * 1024;

export class StoreLog implements StateMachine {
  constructor(
    readonly state: StoreState,
    /** Called after a snapshot replaced the state (watchers must catch up from the new history). */
    private readonly onRestored: () => void = () => {},
  ) {}

  /** apply decodes and applies one entry. Entries are validated before they are proposed, but
   *  the log also carries whatever `k8ts propose` or a buggy proposer put there: an entry that is
   *  not a valid request is refused the same way on every member, never crashes them all. */
  apply(index: number, data: Buffer): ApplyOutcome {
    let req: StoreRequest;
    try {
      req = decodeStoreRequest(data);
      if (req.op === undefined) throw new Error('no operation');
      validateRequest(req.op);
      if (req.op.$case === 'leaseGrant' && req.op.value.ID === 0n) throw new Error('lease grant without an id');
    } catch (err) {
      return { error: new EtcdError(status.INVALID_ARGUMENT, `k8ts store: entry ${index} is not a valid request: ${String(err)}`) };
    }
    return this.state.apply(index, req);
  }

  applyConfChange(index: number, cc: ConfChange): void {
    this.state.applyConfChange(index, cc);
  }

  snapshot(): Buffer {
    return this.state.snapshot();
  }

  snapshotJob(): SnapshotJob {
    return this.state.snapshotJob();
  }

  restore(data: Buffer, index: number): void {
    this.state.restore(data, index);
    this.onRestored();
  }

  /** summary fingerprints the replica for `k8ts status` and chaos checks: "<revision>/<HashKV>",
   *  equal on members that applied the same log. HashKV reads the whole state, so it is computed
   *  once per revision (and compaction) and only for states up to SUMMARY_HASH_MAX_BYTES; larger ones show
   *  "<revision>/-" (use `etcdctl endpoint hashkv` for them) — a status poll must never stall a
   *  member for longer than its heartbeats can wait. */
  summary(): string {
    const rev = this.state.revision();
    const compacted = this.state.compactRevision();
    if (this.cached?.revision === rev && this.cached.compacted === compacted) return this.cached.text;
    const text = this.state.sizeBytes() > SUMMARY_HASH_MAX_BYTES
      ? `${rev}/-`
      : `${rev}/${this.state.hashKV(0).hash.toString(16).padStart(8, '0')}`;
    this.cached = { revision: rev, compacted, text };
    return text;
  }

  private cached: { revision: number; compacted: number; text: string } | undefined;
}
