/**
 * Tests that each check a sentence of the Raft paper (Ongaro & Ousterhout) or the thesis, against
 * the pure core on an in-process network.
 */
import assert from 'node:assert/strict';
import { MessageType as T, message } from '../../../src/raft/core/types.js';
import { MemoryStorage } from '../../../src/raft/core/memory-storage.js';
import { TestNetwork, payloads } from '../../support/raft-network.js';

describe('raft paper §5.2: leader election', () => {
  it('a follower that hears nothing for an election timeout starts an election and wins', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.tick(1, 20); // randomized timeout is in [10, 20)
    net.deliver();
    assert.equal(net.leader(), 1);
    assert.equal(net.get(2).raw.status().leader, 1);
    assert.equal(net.get(1).raw.status().term, 2);
  });

  it('each member votes for at most one candidate in a term', () => {
    const net = new TestNetwork([1, 2, 3], { preVote: false });
    net.get(1).raw.campaign();
    net.get(2).raw.campaign();
    net.deliver();
    const leaders = [1, 2, 3].filter((id) => net.get(id).raw.status().role === 'leader');
    assert.ok(leaders.length <= 1, `two leaders: ${leaders}`);
    const terms = new Set([1, 2, 3].map((id) => net.get(id).raw.status().term));
    assert.equal(terms.size, 1);
  });

  it('a candidate that cannot reach a majority does not become leader', () => {
    const net = new TestNetwork([1, 2, 3], { preVote: false });
    net.cutLink(1, 2);
    net.cutLink(1, 3);
    net.elect(1);
    assert.equal(net.get(1).raw.status().role, 'candidate');
    assert.equal(net.leader(), 0);
  });

  it('§5.4.1: a member does not vote for a candidate whose log is less up to date', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.deliver();
    net.heal();
    net.isolate(1);
    // 3 missed 'a'; 2 has it: 3 cannot win, 2 can.
    net.elect(3);
    assert.notEqual(net.get(3).raw.status().role, 'leader');
    net.elect(2);
    assert.equal(net.get(2).raw.status().role, 'leader');
  });
});

describe('thesis §9.6 PreVote and §6.2 CheckQuorum', () => {
  it('a candidate whose election times out runs a new pre-election (found by the simulator)', () => {
    const net = new TestNetwork([1, 2, 3]);
    // 1 wins its pre-election but its vote requests are lost: it stays candidate.
    net.drop = (m) => m.type === T.MESSAGE_TYPE_VOTE;
    net.elect(1);
    assert.equal(net.get(1).raw.status().role, 'candidate');
    const term = net.get(1).raw.status().term;
    net.tick(1, 30); // its election timeout passes
    assert.equal(net.get(1).raw.status().role, 'pre-candidate');
    assert.equal(net.get(1).raw.status().term, term, 'a pre-election does not bump the term');
    net.drop = undefined;
    net.deliver();
    for (let i = 0; i < 3 && net.leader() === 0; i++) {
      net.tick(1, 30);
      net.deliver();
    }
    assert.equal(net.leader(), 1);
  });

  it('a partitioned member does not raise its term, and rejoins without disrupting the leader', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    const term = net.get(1).raw.status().term;
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.tick(3, 20);
    net.deliver();
    assert.equal(net.get(3).raw.status().term, term, 'pre-candidate must not bump its term');
    net.heal();
    net.tick(3, 20);
    net.deliver();
    assert.equal(net.leader(), 1);
    assert.equal(net.get(1).raw.status().term, term);
  });

  it('a leader that cannot hear a quorum steps down within an election timeout', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    for (let i = 0; i < 25; i++) net.tick(1);
    assert.equal(net.get(1).raw.status().role, 'follower');
    assert.equal(net.get(1).raw.propose(Buffer.from('x'))?.reason, 'no-leader');
  });

  it('voters inside their leader lease ignore a vote request from a disruptive member', () => {
    const net = new TestNetwork([1, 2, 3], { preVote: false });
    net.elect(1);
    const term = net.get(1).raw.status().term;
    net.get(3).raw.campaign(); // without PreVote it bumps its own term...
    net.deliver();
    assert.equal(net.leader(), 1, '...but 1 and 2 are in lease and keep their leader');
    // 3 learns the leader's term through the stale-term reply and rejoins.
    for (let i = 0; i < 3; i++) { net.tick(1); net.deliver(); }
    assert.ok(net.get(1).raw.status().term >= term);
  });
});

describe('crash failover near the minimum election timeout', () => {
  it('a pre-vote ignored by a voter one tick inside its lease is asked again on the next tick', () => {
    const net = new TestNetwork([1, 2, 3], { electionTicks: 10, heartbeatTicks: 2 });
    net.elect(1);
    net.isolate(1); // the leader crashes
    const [m2, m3] = [net.get(2).raw.raft, net.get(3).raw.raft];
    // 2's timeout fires now; 3's ticks run one tick behind, so 3 is still in its lease.
    m2.randomizedElectionTimeout = 10;
    m3.randomizedElectionTimeout = 19;
    m2.electionElapsed = 9;
    m3.electionElapsed = 8;
    net.tick(2);
    net.tick(3);
    net.deliver();
    assert.equal(m2.role, 'pre-candidate');
    assert.equal(net.leader(), 0, '3 ignored the pre-vote: it still heard a leader < electionTicks ago');
    // One tick later 3's lease has run out and 2 asks again: 2 wins long before either
    // member's next election timeout.
    net.tick(2); net.tick(3); net.deliver();
    assert.equal(net.leader(), 2);
  });
});

describe('raft paper §5.3: log replication', () => {
  it('Figure 7: a new leader repairs followers with missing and extra entries', () => {
    const net = new TestNetwork([1, 2, 3, 4, 5]);
    net.elect(1);
    net.propose(1, 'a');
    net.deliver();
    // 4 and 5 miss b,c; 1 alone writes x,y (never committed) and is then partitioned.
    net.isolate(4);
    net.isolate(5);
    net.propose(1, 'b');
    net.propose(1, 'c');
    net.deliver();
    net.heal();
    net.isolate(2); net.isolate(3); net.isolate(4); net.isolate(5);
    net.propose(1, 'x');
    net.propose(1, 'y');
    net.deliver();
    net.heal();
    net.isolate(1);
    net.expireLeases();
    net.elect(2);
    assert.equal(net.leader(), 2);
    net.propose(2, 'd');
    net.deliver();
    net.heal();
    for (let i = 0; i < 3; i++) { net.tick(2); net.deliver(); }
    const want = ['a', 'b', 'c', 'd'];
    for (const id of [1, 2, 3, 4, 5]) assert.deepEqual(payloads(net.get(id)), want, `member ${id}`);
    const last = net.get(2).raw.status().lastIndex;
    for (const id of [1, 3, 4, 5]) assert.equal(net.get(id).raw.status().lastIndex, last, `log of ${id} repaired`);
  });

  it('Figure 8: a leader never commits an entry of an earlier term by counting replicas', () => {
    // One entry per append message, so which entries reach whom can be scripted.
    const net = new TestNetwork([1, 2, 3, 4, 5], { preVote: false, maxSizePerMsgBytes: 1 });
    const isolate = (...ids: number[]): void => ids.forEach((id) => net.isolate(id));
    net.elect(1); // term 2; log: 5 bootstrap entries, then 1's empty entry at 6
    net.deliver();
    // (a) S1 replicates index 7 (term 2) to S2 only, then crashes.
    isolate(3, 4, 5);
    net.propose(1, 'term2');
    net.deliver();
    net.heal();
    isolate(1);
    // (b) S5 is elected for term 3 by S3, S4, S5 and accepts index 7 (term 3); nobody gets it.
    isolate(2);
    net.expireLeases();
    net.drop = (m) => m.from === 5 && m.type === T.MESSAGE_TYPE_APP;
    net.elect(5);
    assert.equal(net.get(5).raw.status().role, 'leader');
    net.propose(5, 'term3');
    net.deliver();
    net.heal();
    // (c) S5 crashes; S1 is elected for term 4 and replicates its term-2 entry at 7 to S2 and S3,
    // but its own term-4 entry reaches nobody. Index 7 is now on a majority (S1, S2, S3)...
    isolate(5);
    net.drop = (m) => {
      // Strip term-4 entries from appends in flight (the network loses them); keep the rest.
      if (m.type === T.MESSAGE_TYPE_APP) m.entries = m.entries.filter((e) => e.term !== 4);
      return m.to === 5 || m.from === 5;
    };
    net.tick(1); // S1's heartbeat is answered with term 3: it steps down
    net.deliver();
    assert.equal(net.get(1).raw.status().role, 'follower');
    net.expireLeases();
    for (let i = 0; i < 3 && net.get(1).raw.status().role !== 'leader'; i++) net.elect(1);
    const s1 = net.get(1).raw;
    assert.equal(s1.status().role, 'leader');
    assert.equal(s1.status().term, 4);
    const stores7 = [1, 2, 3].filter((id) => net.get(id).raw.raft.log.term(7) === 2);
    assert.deepEqual(stores7, [1, 2, 3], 'index 7 (term 2) is on a majority');
    // ...yet it is NOT committed: counting replicas of an old-term entry proves nothing.
    assert.equal(s1.status().commit, 6);
    // (d) Why: if S1 crashes now, S5 can win (its last term 3 beats their 2) and overwrite index 7.
    isolate(1);
    net.drop = undefined;
    net.heal();
    isolate(1);
    net.tick(5); // S5, still leading term 3, hears of term 4 and steps down
    net.deliver();
    assert.equal(net.get(5).raw.status().role, 'follower');
    net.expireLeases();
    for (let i = 0; i < 3 && net.get(5).raw.status().role !== 'leader'; i++) net.elect(5);
    assert.equal(net.get(5).raw.status().role, 'leader');
    net.deliver();
    for (const id of [2, 3, 4, 5]) {
      assert.ok(payloads(net.get(id)).includes('term3'), `member ${id} applied S5's entry`);
      assert.ok(!payloads(net.get(id)).includes('term2'), `member ${id} never applied the overwritten entry`);
    }
    // (e) Once healed, S1's uncommitted entry is overwritten too and logs agree.
    net.heal();
    for (let i = 0; i < 3; i++) { net.tick(5); net.deliver(); }
    assert.deepEqual(payloads(net.get(1)), payloads(net.get(5)));
  });

  it('a follower forwards proposals to the leader', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    net.propose(3, 'via-follower');
    net.deliver();
    for (const id of [1, 2, 3]) assert.deepEqual(payloads(net.get(id)), ['via-follower']);
  });

  it('with forwarding disabled, a follower answers NotLeader with the leader hint', () => {
    const net = new TestNetwork([1, 2, 3], { disableProposalForwarding: true });
    net.elect(1);
    assert.deepEqual(net.get(2).raw.propose(Buffer.from('x')), { reason: 'not-leader', leader: 1 });
  });

  it('replication is pipelined and bounded by the in-flight window', () => {
    const net = new TestNetwork([1, 2, 3], { maxInflightMsgs: 4, maxSizePerMsgBytes: 1 });
    net.elect(1);
    net.isolate(2); // 2 stops answering
    // Bring 2's progress into replicate state first (it is, after the election).
    for (let i = 0; i < 20; i++) net.get(1).raw.propose(Buffer.from(`p${i}`));
    net.process(net.get(1));
    const toTwo = net.queue.filter((m) => m.to === 2 && m.type === T.MESSAGE_TYPE_APP && m.entries.length > 0);
    assert.ok(toTwo.length <= 4, `${toTwo.length} appends in flight to 2, window is 4`);
    net.deliver();
    net.heal();
    for (let i = 0; i < 5; i++) { net.tick(1); net.deliver(); }
    assert.equal(payloads(net.get(2)).length, 20);
  });

  it('the in-flight window is bounded in bytes too (a follower catching up)', () => {
    // 20 entries of 100 B (+24 B of overhead each) in messages of one entry; 400 B in flight at
    // most: the 4th message reaches the bound, so at most 4 (etcd's rule: full once it is met).
    const limits = { maxInflightMsgs: 64, maxSizePerMsgBytes: 1, maxInflightBytes: 400 };
    const net = new TestNetwork([1, 2, 3], limits);
    net.elect(1);
    net.isolate(2);
    for (let i = 0; i < 20; i++) net.get(1).raw.propose(Buffer.alloc(100, i));
    net.process(net.get(1));
    const toTwo = net.queue.filter((m) => m.to === 2 && m.type === T.MESSAGE_TYPE_APP &&
      m.entries.length > 0);
    assert.ok(toTwo.length <= 4, `${toTwo.length} appends in flight to 2, 400 B allow 4`);
    net.deliver();
    net.heal();
    for (let i = 0; i < 10; i++) { net.tick(1); net.deliver(); }
    assert.equal(payloads(net.get(2)).length, 20);
  });

  it('the leader bounds uncommitted proposals', () => {
    const net = new TestNetwork([1, 2, 3], { maxUncommittedBytes: 1000 });
    net.elect(1);
    net.isolate(2); net.isolate(3);
    let rejected = 0;
    for (let i = 0; i < 100; i++) if (net.get(1).raw.propose(Buffer.alloc(100))?.reason === 'too-large') rejected++;
    assert.ok(rejected > 80, `only ${rejected} rejected`);
  });
});

describe('thesis §6.4: linearizable reads through ReadIndex', () => {
  it('the leader answers after a quorum heartbeat round, at its commit index', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.deliver();
    const l = net.get(1);
    l.raw.readIndex(Buffer.from('1:r1'));
    net.process(l);
    assert.deepEqual(l.reads, [], 'no answer before a quorum acknowledged the heartbeat round');
    net.deliver();
    assert.deepEqual(l.reads, [{ index: l.raw.status().commit, ctx: '1:r1' }]);
  });

  it('a new leader defers reads until an entry of its term commits', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.isolate(2); net.isolate(3);
    net.elect(1); // cannot win alone
    net.heal();
    net.drop = (m) => m.type === T.MESSAGE_TYPE_APP_RESP;
    net.elect(1);
    const l = net.get(1);
    assert.equal(l.raw.status().role, 'leader');
    l.raw.readIndex(Buffer.from('1:early'));
    net.deliver();
    assert.deepEqual(l.reads, [], 'the empty entry of the new term is not committed yet');
    net.drop = undefined;
    net.tick(1);
    net.deliver();
    const answered = net.get(1).reads; // (re-read: deepEqual above narrowed l.reads to [])
    assert.equal(answered.length, 1);
    assert.equal(l.raw.raft.log.term(answered[0]!.index), l.raw.status().term);
  });

  it('a follower gets a read index from the leader; a partitioned leader cannot answer', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.deliver();
    net.get(2).raw.readIndex(Buffer.from('2:r'));
    net.deliver();
    assert.deepEqual(net.get(2).reads, [{ index: net.get(1).raw.status().commit, ctx: '2:r' }]);
    net.isolate(1);
    net.get(1).raw.readIndex(Buffer.from('1:r'));
    net.deliver();
    for (let i = 0; i < 5; i++) net.tick(1);
    assert.deepEqual(net.get(1).reads, [], 'an isolated leader must not answer a read');
  });
});

describe('thesis §3.10: leadership transfer', () => {
  it('transfers to an up-to-date follower which becomes leader in a new term', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.deliver();
    const term = net.get(1).raw.status().term;
    net.get(1).raw.transferLeader(3);
    net.deliver();
    assert.equal(net.leader(), 3);
    assert.equal(net.get(3).raw.status().term, term + 1);
  });

  it('proposals are refused while a transfer is in progress', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.get(1).raw.transferLeader(3);
    assert.equal(net.get(1).raw.propose(Buffer.from('x'))?.reason, 'transferring');
    // An unfinished transfer is abandoned after an election timeout.
    net.heal();
    net.isolate(3);
    for (let i = 0; i < 11; i++) { net.tick(1); net.deliver(); }
    assert.equal(net.get(1).raw.status().leadTransferee, 0);
  });
});

describe('thesis §5: log compaction and InstallSnapshot', () => {
  it('a follower that fell behind a compacted log is caught up by a snapshot', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 10; i++) net.propose(1, `e${i}`);
    net.deliver();
    const l = net.get(1);
    const applied = l.raw.raft.log.applied;
    l.storage.createSnapshot(applied, l.raw.raft.confState(), Buffer.from(`state@${applied}`));
    l.storage.compact(applied);
    net.heal();
    for (let i = 0; i < 3; i++) { net.tick(1); net.deliver(); }
    const f = net.get(3);
    assert.equal(f.storage.snapshot().metadata?.index, applied);
    assert.equal(f.storage.snapshot().data.toString(), `state@${applied}`);
    l.raw.reportSnapshot(3, true);
    net.propose(1, 'after');
    net.deliver();
    assert.deepEqual(payloads(f), ['after']);
  });
});

describe('thesis §4: membership changes one member at a time', () => {
  it('a new member joins as a learner, catches up, is promoted, and counts for quorum', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.deliver();
    assert.equal(net.get(1).raw.proposeConfChange({ type: 2, nodeId: 4, context: Buffer.alloc(0) }), null);
    net.deliver();
    net.add(4, new MemoryStorage());
    for (let i = 0; i < 3; i++) { net.tick(1); net.deliver(); }
    assert.deepEqual(net.get(4).raw.status().confState.learners, [4]);
    assert.deepEqual(payloads(net.get(4)), ['a']);
    // A learner never campaigns.
    net.tick(4, 50);
    assert.equal(net.get(4).raw.status().role, 'follower');
    assert.equal(net.get(1).raw.proposeConfChange({ type: 1, nodeId: 4, context: Buffer.alloc(0) }), null);
    net.deliver();
    assert.deepEqual(net.get(1).raw.status().confState.voters, [1, 2, 3, 4]);
    // 4 voters: quorum is 3; with 2 and 3 down nothing commits.
    net.isolate(2); net.isolate(3);
    net.propose(1, 'b');
    net.deliver();
    assert.ok(!payloads(net.get(1)).includes('b'));
  });

  it('a second change is refused until the first is applied', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    net.isolate(2); net.isolate(3);
    assert.equal(net.get(1).raw.proposeConfChange({ type: 2, nodeId: 4, context: Buffer.alloc(0) }), null);
    net.deliver();
    assert.equal(net.get(1).raw.proposeConfChange({ type: 2, nodeId: 5, context: Buffer.alloc(0) })?.reason, 'conf-change-pending');
  });

  it('removing a member shrinks the quorum; a removed leader steps down', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    net.get(1).raw.proposeConfChange({ type: 3, nodeId: 1, context: Buffer.alloc(0) });
    net.deliver();
    assert.notEqual(net.get(1).raw.status().role, 'leader');
    const l = net.tickUntilLeader();
    assert.ok(l === 2 || l === 3, `leader ${l}`);
    assert.deepEqual(net.get(l).raw.status().confState.voters, [2, 3]);
  });
});

describe('core hygiene', () => {
  it('ignores local-only message types arriving from peers', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.get(2).raw.step(message({ type: T.MESSAGE_TYPE_HUP, from: 3, to: 2, term: 0 }));
    assert.equal(net.get(2).raw.status().role, 'follower');
  });

  it('the same inputs give the same Readys (determinism)', () => {
    const run = (): string => {
      const net = new TestNetwork([1, 2, 3]);
      for (let t = 0; t < 40; t++) { for (const id of [1, 2, 3]) net.tick(id); net.deliver(); }
      return JSON.stringify([1, 2, 3].map((id) => net.get(id).raw.status().term + net.get(id).raw.status().role));
    };
    assert.equal(run(), run());
  });
});
