/**
 * The driver hands the transport at most 8 MiB of entries per send() call: the transport makes
 * one gRPC frame of a call's messages to a peer, and gRPC refuses frames over 16 MiB (a leader
 * that piled more than that for one follower into a Ready failed that stream on every retry).
 */
import assert from 'node:assert/strict';
import { Prng } from '../../src/base/prng.js';
import { MemoryStorage } from '../../src/raft/core/memory-storage.js';
import type { Message } from '../../src/raft/core/types.js';
import { RaftNode } from '../../src/raft/node.js';

describe('raft: bounded sends', () => {
  it('a Ready of 12 MiB of appends per follower reaches the transport in calls of <= 8 MiB', () => {
    const calls: Message[][] = [];
    const nodes = new Map<number, RaftNode>();
    for (const id of [1, 2, 3]) {
      nodes.set(id, new RaftNode({
        config: {
          id, electionTicks: 10, heartbeatTicks: 1, preVote: true, checkQuorum: true,
          maxInflightMsgs: 256, maxSizePerMsgBytes: 1 << 20, maxUncommittedBytes: 1 << 26,
          disableProposalForwarding: false, prng: new Prng(id),
        },
        storage: new MemoryStorage(),
        stateMachine: { apply: () => undefined, snapshot: () => Buffer.alloc(0), restore() {} },
        send: (ms) => calls.push(ms), bootstrapVoters: [1, 2, 3], snapshotEveryEntries: 0,
        keepEntriesAfterSnapshot: 0, requestTimeoutTicks: 1000, maxPendingRequests: 1000,
        incarnation: 1,
      }));
    }
    const deliver = (): void => {
      for (let i = 0; i < 20; i++) {
        for (const m of calls.splice(0).flat()) nodes.get(m.to)!.receive(m);
        for (const n of nodes.values()) n.process();
      }
    };
    for (const n of nodes.values()) n.process();
    nodes.get(1)!.raw.campaign();
    nodes.get(1)!.process();
    deliver();
    const leader = nodes.get(1)!;
    assert.equal(leader.raw.raft.role, 'leader');
    for (let i = 0; i < 12; i++) void leader.propose(Buffer.alloc((1 << 20) - 64, i));
    leader.process();
    const bytesTo2 = calls.map((c) => c.filter((m) => m.to === 2)
      .reduce((n, m) => n + m.entries.reduce((k, e) => k + e.data.length, 0), 0));
    assert.ok(bytesTo2.reduce((a, b) => a + b, 0) > 11 * 2 ** 20, 'all 12 MiB went out');
    for (const b of bytesTo2) assert.ok(b <= 8 * 2 ** 20, `${b} bytes to one peer in one call`);
    assert.ok(calls.length >= 2);
  });
});
