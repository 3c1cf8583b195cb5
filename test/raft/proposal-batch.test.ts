/**
 * Proposals are batched per driver turn: RaftNode queues them until process() and gives the core
 * one batch, so the leader sends each follower ONE append for all of them and each follower
 * acknowledges once (not once per proposal), and every proposal still resolves with its own
 * entry. ProposalQueue cuts batches by payload bytes, in arrival order. Also: the snapshot events a
 * member logs.
 */
import assert from 'node:assert/strict';
import { Prng } from '../../src/base/prng.js';
import { MemoryStorage } from '../../src/raft/core/memory-storage.js';
import { MessageType as T, type Message } from '../../src/raft/core/types.js';
import { NotLeaderError, RaftNode, type SnapshotEvent, type StateMachine } from '../../src/raft/node.js';
import { ProposalQueue } from '../../src/raft/proposal-queue.js';

class Payloads implements StateMachine {
  readonly seen: string[] = [];
  apply(_index: number, data: Buffer): unknown {
    this.seen.push(data.toString());
    return data.toString();
  }
  snapshot(): Buffer {
    return Buffer.from(JSON.stringify(this.seen));
  }
  restore(): void {}
}

/** group runs three RaftNodes whose messages queue in `wire` until deliver(). */
interface Group {
  nodes: Map<number, RaftNode>;
  sms: Map<number, Payloads>;
  wire: Message[];
  deliver(): void;
}

function group(snapshotEveryEntries = 0, onSnapshot?: (id: number, e: SnapshotEvent) => void): Group {
  const wire: Message[] = [];
  const nodes = new Map<number, RaftNode>();
  const sms = new Map<number, Payloads>();
  for (const id of [1, 2, 3]) {
    const sm = new Payloads();
    sms.set(id, sm);
    nodes.set(id, new RaftNode({
      config: {
        id, electionTicks: 10, heartbeatTicks: 1, preVote: true, checkQuorum: true,
        maxInflightMsgs: 256, maxSizePerMsgBytes: 1 << 20, maxUncommittedBytes: 1 << 26,
        disableProposalForwarding: false, prng: new Prng(id),
      },
      storage: new MemoryStorage(), stateMachine: sm, send: (ms) => wire.push(...ms),
      bootstrapVoters: [1, 2, 3], snapshotEveryEntries, keepEntriesAfterSnapshot: 0,
      ...(onSnapshot ? { onSnapshot: (e: SnapshotEvent) => onSnapshot(id, e) } : {}),
      requestTimeoutTicks: 1000, maxPendingRequests: 1000, incarnation: 1,
    }));
  }
  const deliver = (): void => {
    for (let i = 0; i < 100 && wire.length > 0; i++) {
      for (const m of wire.splice(0)) nodes.get(m.to)!.receive(m);
      for (const n of nodes.values()) n.process();
    }
  };
  return { nodes, sms, wire, deliver };
}

describe('raft: proposals batched per driver turn', () => {
  it('N proposals of a turn cost one append and one ack per follower; each resolves', async () => {
    const g = group();
    for (const n of g.nodes.values()) n.process(); // apply the bootstrap membership first
    g.nodes.get(1)!.raw.campaign();
    g.nodes.get(1)!.process();
    g.deliver();
    const leader = g.nodes.get(1)!;
    assert.equal(leader.raw.raft.role, 'leader');
    const ps = Array.from({ length: 50 }, (_, i) => leader.propose(Buffer.from(`p${i}`)));
    assert.equal(g.wire.length, 0, 'nothing reaches the core before process()');
    leader.process();
    const appends = g.wire.filter((m) => m.type === T.MESSAGE_TYPE_APP);
    assert.deepEqual(appends.map((m) => [m.to, m.entries.length]).sort(), [[2, 50], [3, 50]]);
    for (const m of g.wire.splice(0)) g.nodes.get(m.to)!.receive(m);
    for (const id of [2, 3]) g.nodes.get(id)!.process();
    const acks = g.wire.filter((m) => m.type === T.MESSAGE_TYPE_APP_RESP);
    assert.deepEqual(acks.map((m) => m.from).sort(), [2, 3]);
    g.deliver();
    const done = await Promise.all(ps);
    assert.deepEqual(done.map((c) => c.result), Array.from({ length: 50 }, (_, i) => `p${i}`));
    for (const sm of g.sms.values()) assert.equal(sm.seen.length, 50);
  });

  it('a follower without a leader rejects the whole queued batch with NotLeaderError', async () => {
    const g = group();
    const n = g.nodes.get(2)!;
    const ps = [n.propose(Buffer.from('a')), n.propose(Buffer.from('b'))];
    n.process();
    const noLeader = (e: unknown): boolean =>
      e instanceof NotLeaderError && e.rejection.reason === 'no-leader';
    for (const p of ps) await assert.rejects(p, noLeader);
  });

  it('ProposalQueue drains in order, in batches of at most maxBytes (a big one alone)', () => {
    const q = new ProposalQueue();
    const sizes = [[1, 4], [2, 4], [3, 10], [4, 1]] as const;
    for (const [key, n] of sizes) q.push({ key, data: Buffer.alloc(n) });
    const batches = q.drain(8).map((b) => b.map((p) => p.key).join(''));
    assert.deepEqual(batches, ['12', '3', '4']);
    assert.equal(q.length, 0);
  });
});

describe('raft: snapshot events for the member log', () => {
  it('each member reports its snapshot started, built and written, at the applied index', async () => {
    const seen: string[] = [];
    const g = group(20, (id, e) => seen.push(`${id} ${e.kind} ${e.index}`));
    for (const n of g.nodes.values()) n.process();
    g.nodes.get(1)!.raw.campaign();
    g.nodes.get(1)!.process();
    g.deliver();
    const leader = g.nodes.get(1)!;
    const ps = Array.from({ length: 30 }, (_, i) => leader.propose(Buffer.from(`p${i}`)));
    leader.process();
    g.deliver();
    await Promise.all(ps);
    const at = leader.status().applied;
    for (const id of [1, 2, 3]) {
      const mine = seen.filter((l) => l.startsWith(`${id} `)).map((l) => l.split(' ').slice(1));
      assert.deepEqual(mine.map(([kind]) => kind), ['started', 'built', 'written'], `member ${id}`);
      const index = Number(mine[0]![1]);
      assert.ok(index >= 20 && index <= at, `member ${id} snapshot index ${index} of ${at}`);
      assert.ok(mine.every(([, i]) => Number(i) === index));
    }
  });
});
