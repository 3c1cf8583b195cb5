/**
 * StoreLog adapts the store's state to the Raft driver: log payloads are encoded StoreRequests,
 * membership changes are recorded for MemberList, and the state's image is the snapshot.
 */
import { StoreRequest } from '../../gen/k8ts/store/v1/store.js';
import type { ConfChange } from '../../raft/core/types.js';
import type { StateMachine } from '../../raft/node.js';
import type { ApplyOutcome, StoreState } from '../types.js';

export class StoreLog implements StateMachine {
  constructor(readonly state: StoreState) {}

  apply(index: number, data: Buffer): ApplyOutcome {
    return this.state.apply(index, StoreRequest.decode(data));
  }

  applyConfChange(index: number, cc: ConfChange): void {
    this.state.applyConfChange(index, cc);
  }

  snapshot(): Buffer {
    return this.state.snapshot();
  }

  restore(data: Buffer, index: number): void {
    this.state.restore(data, index);
  }

  /** summary fingerprints the replica for `k8ts status` and chaos checks: revision and HashKV. */
  summary(): string {
    const h = this.state.hashKV(0);
    return `rev ${h.revision} hash ${h.hash.toString(16).padStart(8, '0')}`;
  }
}
