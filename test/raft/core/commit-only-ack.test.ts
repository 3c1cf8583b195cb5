/**
 * A follower leaves unanswered a commit-only append whose index it already acknowledged
 * (step-follower's isCommitOnlyRepeat): the answer costs a frame each way and tells the leader
 * nothing. These pin that the answer is gone in the steady state, and that an acknowledgement lost
 * on the way is still recovered (the leader's heartbeat-response append is answered).
 */
import assert from 'node:assert/strict';
import { MessageType as T, type Message } from '../../../src/raft/core/types.js';
import { TestNetwork, payloads } from '../../support/raft-network.js';

/** record makes net keep every message it delivers or drops (after elect, so the log is quiet). */
function record(net: TestNetwork, lose: (m: Message) => boolean = () => false): Message[] {
  const seen: Message[] = [];
  net.drop = (m) => {
    seen.push(m);
    return lose(m);
  };
  return seen;
}

const acks = (seen: Message[], from: number): Message[] =>
  seen.filter((m) => m.type === T.MESSAGE_TYPE_APP_RESP && m.from === from && !m.reject);

describe('raft core: commit-only appends are not answered twice', () => {
  it('each follower acknowledges a proposal once, and still learns its commit', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    const seen = record(net);
    net.propose(1, 'a');
    net.deliver();
    const last = net.get(1).raw.raft.log.lastIndex();
    const commitOnly = seen.filter((m) => m.type === T.MESSAGE_TYPE_APP && m.entries.length === 0);
    assert.ok(commitOnly.length >= 2, 'the leader still tells both followers the commit');
    for (const id of [2, 3]) {
      assert.deepEqual(acks(seen, id).map((m) => m.index), [last], `follower ${id} acks`);
      assert.equal(net.get(id).raw.raft.log.committed, last);
      assert.deepEqual(payloads(net.get(id)), ['a']);
    }
  });

  it('an ack lost on the way is asked again at the next heartbeat and answered', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    let lost = 0;
    // Follower 3's ack of the entry is lost; 2's commits it, and 3 hears the commit.
    record(net, (m) => m.type === T.MESSAGE_TYPE_APP_RESP && m.from === 3 && lost++ === 0);
    net.propose(1, 'a');
    net.deliver();
    const leader = net.get(1).raw.raft;
    const last = leader.log.lastIndex();
    assert.equal(lost, 1);
    assert.equal(net.get(3).raw.raft.log.committed, last);
    assert.ok(leader.prs.get(3)!.match < last, 'the leader missed 3\'s ack');
    net.tick(1); // heartbeat; its response makes the leader send 3 an append
    net.deliver();
    assert.equal(leader.prs.get(3)!.match, last);
  });

  it('when every ack is lost the leader still commits once heartbeats resume', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    const lose = new Set([2, 3]);
    record(net, (m) => m.type === T.MESSAGE_TYPE_APP_RESP && lose.delete(m.from));
    net.propose(1, 'a');
    net.deliver();
    const leader = net.get(1).raw.raft;
    const last = leader.log.lastIndex();
    assert.ok(leader.log.committed < last);
    net.tick(1);
    net.deliver();
    assert.equal(leader.log.committed, last);
    net.tick(1); // followers learn the commit from the commit-only append or the heartbeat
    net.deliver();
    for (const id of [2, 3]) assert.deepEqual(payloads(net.get(id)), ['a']);
  });
});
