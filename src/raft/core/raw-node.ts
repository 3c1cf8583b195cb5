// PLACEHOLDER SIGNATURE — being implemented now; do not rely on behaviour yet.
import type { RaftStorage } from './memory-storage.js';
import type { ConfChange, ConfState, Message, ProposalRejection, RaftConfig, Ready, Role } from './types.js';

export interface ProgressStatus { match: number; next: number; state: 'probe' | 'replicate' | 'snapshot'; learner: boolean }
export interface RaftStatus {
  id: number; role: Role; term: number; vote: number; leader: number; commit: number;
  lastIndex: number; firstIndex: number; confState: ConfState;
  /** Only on the leader. */
  progress: Map<number, ProgressStatus>;
  leadTransferee: number;
}

export class RawNode {
  constructor(_config: RaftConfig, _storage: RaftStorage) { throw new Error('not yet'); }
  tick(): void {}
  campaign(): void {}
  step(_m: Message): void {}
  propose(_data: Buffer): ProposalRejection | null { return null; }
  proposeConfChange(_cc: ConfChange): ProposalRejection | null { return null; }
  readIndex(_ctx: Buffer): ProposalRejection | null { return null; }
  transferLeader(_to: number): void {}
  applyConfChange(_cc: ConfChange): ConfState { throw new Error('not yet'); }
  reportUnreachable(_id: number): void {}
  reportSnapshot(_id: number, _ok: boolean): void {}
  hasReady(): boolean { return false; }
  ready(): Ready { throw new Error('not yet'); }
  advance(_rd: Ready): void {}
  status(): RaftStatus { throw new Error('not yet'); }
}
