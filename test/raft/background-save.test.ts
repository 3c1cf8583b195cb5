/**
 * Saves whose fdatasync runs off the event loop (RaftStorage.saveInBackground): nothing of a
 * Ready is acknowledged, applied or announced as committed before its write is durable, and a
 * leader whose write is slow still heartbeats — with no commit newer than the one when that
 * write began (a newer one may count its own entries not yet on its disk). And while a leader's
 * write is in flight, it applies (and answers) the committed entries it already wrote — never one
 * that is not on its own disk yet.
 */
import assert from 'node:assert/strict';
import { Prng } from '../../src/base/prng.js';
import { MemoryStorage, type SavePart } from '../../src/raft/core/memory-storage.js';
import { MessageType as T, type Message } from '../../src/raft/core/types.js';
import { BusyError, RaftNode, type StateMachine } from '../../src/raft/node.js';

/** SlowDisk is MemoryStorage whose background saves complete when the test releases them. */
class SlowDisk extends MemoryStorage {
  readonly pending: { part: SavePart; done: () => void }[] = [];
  saveInBackground(part: SavePart): Promise<void> {
    return new Promise((resolve) => this.pending.push({ part, done: resolve }));
  }
  /** release makes every pending save durable (and visible), in order. */
  async release(): Promise<void> {
    for (const p of this.pending.splice(0)) {
      this.save(p.part);
      p.done();
    }
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

class Applied implements StateMachine {
  readonly seen: number[] = [];
  apply(index: number): unknown {
    this.seen.push(index);
    return undefined;
  }
  snapshot(): Buffer {
    return Buffer.alloc(0);
  }
  restore(): void {}
}

interface Group {
  nodes: Map<number, RaftNode>;
  disks: Map<number, SlowDisk>;
  sms: Map<number, Applied>;
  wire: Message[];
  deferred: (() => void)[];
  /** settle delivers, runs deferred writes and releases every disk until quiet. */
  settle(): Promise<void>;
}

function group(saveMs = 50, backgroundSyncMinEntries?: number): Group {
  let clockMs = 0;
  const g: Group = {
    nodes: new Map(), disks: new Map(), sms: new Map(), wire: [], deferred: [],
    settle: async () => {
      for (let i = 0; i < 50; i++) {
        for (const f of g.deferred.splice(0)) f();
        for (const d of g.disks.values()) await d.release();
        for (const m of g.wire.splice(0)) g.nodes.get(m.to)!.receive(m);
        for (const n of g.nodes.values()) n.process();
      }
    },
  };
  for (const id of [1, 2, 3]) {
    const disk = new SlowDisk();
    const sm = new Applied();
    g.disks.set(id, disk);
    g.sms.set(id, sm);
    g.nodes.set(id, new RaftNode({
      config: {
        id, electionTicks: 10, heartbeatTicks: 1, preVote: true, checkQuorum: true,
        maxInflightMsgs: 256, maxSizePerMsgBytes: 1 << 20, maxUncommittedBytes: 1 << 26,
        disableProposalForwarding: false, prng: new Prng(id),
      },
      storage: disk, stateMachine: sm, send: (ms) => g.wire.push(...ms),
      bootstrapVoters: [1, 2, 3], snapshotEveryEntries: 0, keepEntriesAfterSnapshot: 0,
      requestTimeoutTicks: 1000, maxPendingRequests: 10_000, incarnation: 1,
      defer: (fn) => g.deferred.push(fn), onPersisted: () => {},
      // Every save "takes" saveMs (by default a slow disk's 50 ms: saves after the first run in
      // the background).
      nowMs: () => (clockMs += saveMs),
      backgroundSyncMinEntries,
    }));
  }
  return g;
}

async function elected(saveMs = 50, backgroundSyncMinEntries?: number): Promise<Group> {
  const g = group(saveMs, backgroundSyncMinEntries);
  for (const n of g.nodes.values()) n.process();
  g.nodes.get(1)!.raw.campaign();
  g.nodes.get(1)!.process();
  await g.settle();
  assert.equal(g.nodes.get(1)!.raw.raft.role, 'leader');
  return g;
}

describe('raft: saves in the background', () => {
  it('a follower acknowledges and applies an append only once its save is durable', async () => {
    const g = await elected();
    const leader = g.nodes.get(1)!;
    const done = leader.propose(Buffer.from('x'));
    leader.process();
    for (const f of g.deferred.splice(0)) f(); // the leader's own write starts (and waits)
    const appends = g.wire.splice(0).filter((m) => m.type === T.MESSAGE_TYPE_APP && m.to === 2);
    assert.equal(appends.length, 1);
    const follower = g.nodes.get(2)!;
    follower.receive(appends[0]!);
    follower.process();
    assert.equal(g.disks.get(2)!.pending.length, 1, 'the append is being written');
    assert.deepEqual(g.wire.filter((m) => m.from === 2), [], 'no ack before the write is durable');
    await g.disks.get(2)!.release();
    const acks = g.wire.filter((m) => m.from === 2 && m.type === T.MESSAGE_TYPE_APP_RESP);
    assert.equal(acks.length, 1);
    await g.settle();
    assert.ok((await done).index > 0);
  });

  it('a leader whose write is slow heartbeats, with the commit of the write\'s start', async () => {
    const g = await elected();
    const leader = g.nodes.get(1)!;
    const before = leader.raw.raft.log.committed;
    void leader.propose(Buffer.from('y'));
    leader.process();
    for (const f of g.deferred.splice(0)) f();
    assert.equal(g.disks.get(1)!.pending.length, 1, "the leader's write is in flight");
    // The followers store and acknowledge the entry while the leader's disk is still busy.
    for (const id of [2, 3]) {
      for (const m of g.wire.filter((x) => x.to === id)) g.nodes.get(id)!.receive(m);
      g.nodes.get(id)!.process();
      await g.disks.get(id)!.release();
    }
    const acks = g.wire.splice(0).filter((m) => m.to === 1);
    for (const m of acks) leader.receive(m);
    leader.process();
    assert.ok(leader.raw.raft.log.committed > before, 'the entry counts as committed in memory');
    leader.tick();
    leader.process();
    const out = g.wire.splice(0);
    const beats = out.filter((m) => m.type === T.MESSAGE_TYPE_HEARTBEAT);
    assert.equal(beats.length, 2, 'heartbeats go out during the write');
    for (const m of beats) {
      assert.ok(m.commit <= before, `heartbeat commit ${m.commit} > ${before}`);
    }
    assert.deepEqual(out.filter((m) => m.type !== T.MESSAGE_TYPE_HEARTBEAT), []);
    assert.ok(g.sms.get(1)!.seen.every((i) => i <= before), 'nothing applied before durable');
    await g.settle();
    assert.equal(g.sms.get(2)!.seen.at(-1), leader.raw.raft.log.committed);
  });

  it('a write that completes after the node stopped changes nothing', async () => {
    const g = await elected();
    const follower = g.nodes.get(3)!;
    const leader = g.nodes.get(1)!;
    void leader.propose(Buffer.from('z')).catch(() => {});
    leader.process();
    for (const m of g.wire.splice(0).filter((x) => x.to === 3)) follower.receive(m);
    follower.process();
    follower.stop();
    await g.disks.get(3)!.release();
    assert.deepEqual(g.wire.filter((m) => m.from === 3), []);
  });

  it('a member over 5000 entries behind in applying refuses proposals (too many requests)', async () => {
    const g = await elected();
    const [leader, slow] = [g.nodes.get(1)!, g.nodes.get(2)!];
    const held: Message[] = [];
    /** deliver: every message but those to member 2, which are held back. */
    const deliver = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) {
        for (const f of g.deferred.splice(0)) f();
        for (const id of [1, 3]) await g.disks.get(id)!.release();
        for (const m of g.wire.splice(0)) {
          if (m.to === 2) held.push(m);
          else g.nodes.get(m.to)!.receive(m);
        }
        for (const id of [1, 3]) g.nodes.get(id)!.process();
      }
    };
    for (let i = 0; i < 6000; i++) void leader.propose(Buffer.from(`e${i}`)).catch(() => {});
    leader.process();
    await deliver();
    void leader.propose(Buffer.from('last')).catch(() => {});
    leader.process();
    await deliver();
    assert.ok(leader.raw.raft.log.committed > 6000);
    // Member 2 stores the first append (its write stays in flight) and learns the commit.
    slow.receive(held.shift()!);
    slow.process();
    for (const m of held.splice(0)) slow.receive(m);
    assert.ok(slow.raw.raft.log.committed - slow.appliedIndex() > 5000);
    await assert.rejects(slow.propose(Buffer.from('more')), BusyError);
    await g.disks.get(2)!.release();
    await g.settle();
    assert.ok(slow.appliedIndex() > 6000);
    const ok = slow.propose(Buffer.from('now'));
    await g.settle();
    assert.ok((await ok).index > 6000);
  });

  it('while saves are fast they sync on the loop (no thread-pool handoff per write)', async () => {
    const g = await elected(1);
    const leader = g.nodes.get(1)!;
    const done = leader.propose(Buffer.from('fast'));
    leader.process();
    for (const f of g.deferred.splice(0)) f();
    for (const d of g.disks.values()) assert.equal(d.pending.length, 0);
    await g.settle();
    assert.ok((await done).index > 0);
    for (const d of g.disks.values()) assert.equal(d.pending.length, 0);
  });
});

describe('raft: a leader syncs a large batch off the loop (backgroundSyncMinEntries)', () => {
  it('a leader write of at least that many entries runs in the background; a smaller one and the followers\' on the loop', async () => {
    const g = await elected(1, 3);
    const leader = g.nodes.get(1)!;
    const small = [leader.propose(Buffer.from('a')), leader.propose(Buffer.from('b'))];
    leader.process();
    for (const f of g.deferred.splice(0)) f();
    assert.equal(g.disks.get(1)!.pending.length, 0, 'two entries: synced on the loop');
    await g.settle();
    await Promise.all(small);
    const big = ['c', 'd', 'e'].map((d) => leader.propose(Buffer.from(d)));
    leader.process();
    // No turn deferred: the background write starts at once, after the appends went out.
    assert.equal(g.deferred.length, 0);
    assert.equal(g.disks.get(1)!.pending.length, 1, 'three entries: the fdatasync is off the loop');
    assert.equal(g.wire.filter((m) => m.type === T.MESSAGE_TYPE_APP).length, 2, 'appends sent before');
    const before = Math.max(...g.sms.get(1)!.seen);
    for (const m of g.wire.splice(0)) g.nodes.get(m.to)!.receive(m);
    for (const id of [2, 3]) {
      g.nodes.get(id)!.process();
      assert.equal(g.disks.get(id)!.pending.length, 0, `follower ${id} syncs on the loop`);
    }
    for (const m of g.wire.splice(0).filter((x) => x.to === 1)) leader.receive(m);
    leader.process();
    assert.equal(Math.max(...g.sms.get(1)!.seen), before, 'nothing applied before the leader\'s write is durable');
    await g.settle();
    const answers = await Promise.all(big);
    assert.deepEqual(answers.map((c) => c.index), [before + 1, before + 2, before + 3]);
  });
});

describe('raft: a leader applies what it wrote while it writes more', () => {
  /** wrote proposes one entry on the leader and starts its write; returns the answer. */
  function wrote(g: Group, data: string): Promise<{ index: number }> {
    const leader = g.nodes.get(1)!;
    const done = leader.propose(Buffer.from(data));
    leader.process();
    for (const f of g.deferred.splice(0)) f();
    return done;
  }

  /** followersAck delivers the leader's appends and makes the followers' writes durable;
   *  their acks wait on the wire. */
  async function followersAck(g: Group): Promise<Message[]> {
    for (const m of g.wire.splice(0)) g.nodes.get(m.to)!.receive(m);
    for (const id of [2, 3]) {
      g.nodes.get(id)!.process();
      await g.disks.get(id)!.release();
    }
    return g.wire.splice(0).filter((m) => m.to === 1);
  }

  it('answers an entry committed while the next write is in flight, before that write ends', async () => {
    const g = await elected();
    const leader = g.nodes.get(1)!;
    const x = wrote(g, 'x');
    await g.disks.get(1)!.release(); // x is on the leader's disk
    const acks = await followersAck(g);
    void wrote(g, 'y'); // the leader's write of y starts and stays pending
    assert.equal(g.disks.get(1)!.pending.length, 1);
    for (const m of acks) leader.receive(m);
    assert.ok(leader.hasWork(), 'the commit of x needs a turn while y is written');
    leader.process();
    const { index } = await x;
    assert.ok(g.sms.get(1)!.seen.includes(index), 'x applied on the leader');
    assert.equal(g.disks.get(1)!.pending.length, 1, 'y still being written');
    assert.equal(Math.max(...g.sms.get(1)!.seen), index, 'y is not applied');
    await g.settle();
    assert.deepEqual(g.sms.get(1)!.seen, [...new Set(g.sms.get(1)!.seen)], 'nothing applied twice');
  });

  it('never applies an entry before it is on its own disk, even when both followers have it', async () => {
    const g = await elected();
    const leader = g.nodes.get(1)!;
    let answered = false;
    const x = wrote(g, 'x').then((c) => {
      answered = true;
      return c;
    });
    const acks = await followersAck(g); // a quorum without the leader: x is committed
    for (const m of acks) leader.receive(m);
    leader.process();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    assert.equal(answered, false, 'x waits for the leader\'s own write');
    const before = g.sms.get(1)!.seen.length;
    await g.disks.get(1)!.release();
    await g.settle();
    const { index } = await x;
    assert.ok(g.sms.get(1)!.seen.indexOf(index) >= before);
  });
});
