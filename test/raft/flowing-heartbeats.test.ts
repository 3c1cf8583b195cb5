/**
 * A leader's periodic heartbeat is left out for a follower that, since its last one was due, was
 * sent an append and acknowledged one (RaftNode.skipFlowingHeartbeats): under load those frames
 * told nobody anything. These pin that they are gone while replication flows, that a follower
 * whose acks stop gets every heartbeat again (and so the append it missed), that an idle
 * follower is heartbeaten as before, and that ReadIndex heartbeats always go.
 */
import assert from 'node:assert/strict';
import { Prng } from '../../src/base/prng.js';
import { MemoryStorage } from '../../src/raft/core/memory-storage.js';
import { MessageType as T, type Message } from '../../src/raft/core/types.js';
import { RaftNode } from '../../src/raft/node.js';

interface Group {
  nodes: Map<number, RaftNode>;
  /** Every message handed to the transport, in order. */
  sent: Message[];
  /** lose, when set, drops the messages it returns true for (after they were counted). */
  lose?: (m: Message) => boolean;
  deliver(): void;
}

function group(): Group {
  const wire: Message[] = [];
  const g: Group = { nodes: new Map(), sent: [], deliver: () => undefined };
  for (const id of [1, 2, 3]) {
    g.nodes.set(id, new RaftNode({
      config: {
        id, electionTicks: 10, heartbeatTicks: 1, preVote: true, checkQuorum: true,
        maxInflightMsgs: 256, maxSizePerMsgBytes: 1 << 20, maxUncommittedBytes: 1 << 26,
        disableProposalForwarding: false, prng: new Prng(id),
      },
      storage: new MemoryStorage(), stateMachine: { apply: () => undefined, snapshot: () => Buffer.alloc(0), restore() {} },
      send: (ms) => {
        g.sent.push(...ms);
        wire.push(...ms.filter((m) => !(g.lose?.(m) ?? false)));
      },
      bootstrapVoters: [1, 2, 3], snapshotEveryEntries: 0, keepEntriesAfterSnapshot: 0,
      requestTimeoutTicks: 1000, maxPendingRequests: 1000, incarnation: 1,
    }));
  }
  g.deliver = (): void => {
    for (let i = 0; i < 100 && wire.length > 0; i++) {
      for (const m of wire.splice(0)) g.nodes.get(m.to)!.receive(m);
      for (const n of g.nodes.values()) n.process();
    }
  };
  for (const n of g.nodes.values()) n.process();
  g.nodes.get(1)!.raw.campaign();
  g.nodes.get(1)!.process();
  g.deliver();
  assert.equal(g.nodes.get(1)!.raw.raft.role, 'leader');
  return g;
}

/** busyBeats runs `beats` heartbeat intervals with a proposal committed in each; returns the
 *  heartbeats the leader sent per follower meanwhile. */
function busyBeats(g: Group, beats: number): Map<number, number> {
  const leader = g.nodes.get(1)!;
  const from = g.sent.length;
  for (let i = 0; i < beats; i++) {
    void leader.propose(Buffer.from(`p${i}`)).catch(() => undefined);
    leader.process();
    g.deliver();
    leader.tick();
    leader.process();
    g.deliver();
  }
  const hb = new Map<number, number>([[2, 0], [3, 0]]);
  for (const m of g.sent.slice(from)) if (m.type === T.MESSAGE_TYPE_HEARTBEAT) hb.set(m.to, hb.get(m.to)! + 1);
  return hb;
}

describe('raft: heartbeats left out while replication flows', () => {
  it('a follower sent appends and acking them gets no periodic heartbeat; all entries commit', () => {
    const g = group();
    const hb = busyBeats(g, 20);
    assert.deepEqual([...hb.values()], [0, 0], 'no heartbeats while every interval had an append and an ack');
    const last = g.nodes.get(1)!.raw.raft.log.lastIndex();
    for (const n of g.nodes.values()) assert.equal(n.appliedIndex(), last);
  });

  it('a follower whose acks stop is heartbeaten again and gets the append it missed', () => {
    const g = group();
    busyBeats(g, 3);
    g.lose = (m) => m.type === T.MESSAGE_TYPE_APP && m.to === 3 && m.entries.length > 0; // 3 misses appends
    const hb = busyBeats(g, 6);
    assert.equal(hb.get(2), 0);
    assert.ok(hb.get(3)! >= 5, `follower 3 got ${hb.get(3)} heartbeats in 6 intervals without acks`);
    g.lose = undefined;
    busyBeats(g, 2);
    const last = g.nodes.get(1)!.raw.raft.log.lastIndex();
    assert.equal(g.nodes.get(1)!.raw.raft.prs.get(3)!.match, last, 'the heartbeat answer brought 3 back');
    assert.equal(g.nodes.get(3)!.appliedIndex(), last);
  });

  it('idle followers are heartbeaten every interval; ReadIndex rounds heartbeat while busy', async () => {
    const g = group();
    const leader = g.nodes.get(1)!;
    leader.tick(); // the interval of the election's own append and acks: its heartbeat is left out
    leader.process();
    g.deliver();
    const from = g.sent.length;
    for (let i = 0; i < 5; i++) {
      leader.tick();
      leader.process();
      g.deliver();
    }
    const idle = g.sent.slice(from).filter((m) => m.type === T.MESSAGE_TYPE_HEARTBEAT);
    assert.equal(idle.length, 10, 'two followers, five intervals');
    busyBeats(g, 2);
    const at = g.sent.length;
    const read = leader.readIndex();
    leader.process();
    g.deliver();
    await read;
    const reads = g.sent.slice(at).filter((m) => m.type === T.MESSAGE_TYPE_HEARTBEAT && m.context.length > 0);
    assert.deepEqual(reads.map((m) => m.to).sort(), [2, 3]);
  });
});
