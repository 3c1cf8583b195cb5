import assert from 'node:assert/strict';
import { TestNetwork, payloads } from '../../support/raft-network.js';

describe('raft core: smoke', () => {
  it('elects a leader and replicates a proposal to all three members', () => {
    const net = new TestNetwork([1, 2, 3]);
    net.elect(1);
    assert.equal(net.leader(), 1);
    net.propose(1, 'hello');
    net.deliver();
    for (const id of [1, 2, 3]) assert.deepEqual(payloads(net.get(id)), ['hello']);
  });
});
