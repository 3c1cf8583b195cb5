/**
 * One process() call performs at most 4 Readys when the shell can be asked for another turn
 * (onPersisted): a member applying a long committed backlog (here a restart's log) does it a
 * bounded slice per event-loop turn, with ticks, heartbeats and requests served in between.
 */
import assert from 'node:assert/strict';
import { Prng } from '../../src/base/prng.js';
import { bootstrapEntries, bootstrapHardState } from '../../src/raft/core/bootstrap.js';
import { MemoryStorage } from '../../src/raft/core/memory-storage.js';
import { EntryType } from '../../src/raft/core/types.js';
import { RaftNode } from '../../src/raft/node.js';

describe('raft: bounded work per driver turn', () => {
  it('a member applies a committed backlog at most 4 Readys per process()', () => {
    const storage = new MemoryStorage();
    const boot = bootstrapEntries([1, 2, 3]);
    const first = boot.length + 1;
    const entries = Array.from({ length: 100 }, (_, i) => ({
      term: 1, index: first + i, type: EntryType.ENTRY_TYPE_NORMAL, data: Buffer.alloc(40, i),
    }));
    const last = first + 99;
    const hardState = { ...bootstrapHardState([1, 2, 3]), commit: last };
    storage.save({ entries: [...boot, ...entries], hardState, sync: true });
    let applied = 0;
    let asked = 0;
    const node = new RaftNode({
      config: {
        id: 1, electionTicks: 10, heartbeatTicks: 1, preVote: true, checkQuorum: true,
        // The apply budget per Ready is 4 messages of 64 B: 3 entries of 40 B (+24) here.
        maxInflightMsgs: 256, maxSizePerMsgBytes: 64, maxUncommittedBytes: 1 << 26,
        disableProposalForwarding: false, prng: new Prng(1),
      },
      storage,
      stateMachine: { apply: () => applied++, snapshot: () => Buffer.alloc(0), restore() {} },
      send: () => {}, bootstrapVoters: [1, 2, 3], snapshotEveryEntries: 0,
      keepEntriesAfterSnapshot: 0, requestTimeoutTicks: 1000, maxPendingRequests: 1000,
      incarnation: 1, onPersisted: () => asked++,
    });
    node.process();
    assert.ok(applied > 0 && applied <= 4 * 4, `${applied} entries applied in one process()`);
    assert.equal(asked, 1, 'it asked for another turn');
    for (let i = 0; i < 100 && node.hasWork(); i++) node.process();
    assert.equal(applied, 100);
    assert.equal(node.appliedIndex(), last);
  });
});
