/**
 * RaftMemberService over gRPC against in-process members: ReadIndex, TransferLeader and
 * membership changes (add a learner, promote it, remove it), Status, and argument errors.
 */
import assert from 'node:assert/strict';
import { ChannelCredentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { RaftMemberServiceClient } from '../../src/gen/k8ts/raft/v1/member.js';
import type { Member } from '../../src/raft/member.js';
import { channelOptions } from '../../src/rpc/defaults.js';
import { BusyError, NotLeaderError, ProposalLostError } from '../../src/raft/node.js';
import { mapError, type MemberHandle } from '../../src/raft/member-service.js';
import {
  NotLeaderRpcError,
  RpcError,
  UnavailableRpcError,
  fromServiceError,
  toServiceError,
} from '../../src/rpc/errors.js';
import { unary } from '../../src/rpc/unary.js';
import { leaderOf, startInProcess, waitFor } from '../support/cluster.js';

describe('RaftMemberService', function () {
  this.timeout(30_000);
  let ms: Member[] = [];
  const clients: RaftMemberServiceClient[] = [];
  const client = (m: Member): RaftMemberServiceClient => {
    const c = new RaftMemberServiceClient(m.address, ChannelCredentials.createInsecure(), channelOptions());
    clients.push(c);
    return c;
  };

  // Member 4 exists from the start but joins the group only through ChangeMembership.
  before(async () => {
    ms = await startInProcess(4, { joiners: [4] });
  });
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(ms.map((m) => m.stop()));
  });

  it('ReadIndex on a follower answers an index covering every earlier commit', async () => {
    const leader = await waitFor('a leader', () => leaderOf(ms.slice(0, 3)));
    await waitFor('followers know the leader', () => ms.slice(0, 3).every((m) => m.node.status().leader === leader.node.id));
    const lc = client(leader);
    const { index } = await unary(lc, lc.propose, { data: Buffer.from('w1') });
    const follower = ms.slice(0, 3).find((m) => m !== leader)!;
    const fc = client(follower);
    const read = await unary(fc, fc.readIndex, {});
    assert.ok(read.index >= index, `${read.index} >= ${index}`);
    assert.ok(follower.node.appliedIndex() >= index);
  });

  it('Status reports role, leader, membership and (on the leader) match indexes', async () => {
    const leader = leaderOf(ms.slice(0, 3))!;
    const c = client(leader);
    const s = (await unary(c, c.status, {})).status!;
    assert.equal(s.role, 'leader');
    assert.equal(s.leader, leader.node.id);
    assert.deepEqual([...s.voters].sort(), [1, 2, 3]);
    assert.equal(Object.keys(s.match).length, 3);
  });

  it('TransferLeader moves leadership to the named member', async () => {
    const leader = leaderOf(ms.slice(0, 3))!;
    const to = ms.slice(0, 3).find((m) => m !== leader)!.node.id;
    const c = client(leader);
    const res = await unary(c, c.transferLeader, { to }, 5_000);
    assert.equal(res.leader, to);
    await waitFor('new leader', () => leaderOf(ms.slice(0, 3))?.node.id === to);
  });

  it('ChangeMembership adds a learner, promotes it to voter and removes it', async () => {
    const leader = await waitFor('a leader', () => leaderOf(ms.slice(0, 3)));
    const c = client(leader);
    const joiner = ms[3]!;
    let res = await unary(c, c.changeMembership, { op: 'add-learner', nodeId: 4, address: joiner.address }, 5_000);
    assert.deepEqual(res.learners, [4]);
    await waitFor('learner caught up', () => joiner.node.appliedIndex() === leader.node.appliedIndex());
    await waitFor('the leader hears the learner', () => leader.node.status().progress.get(4)?.match === leader.node.status().lastIndex);
    res = await unary(c, c.changeMembership, { op: 'promote', nodeId: 4, address: '' }, 5_000);
    assert.deepEqual([...res.voters].sort(), [1, 2, 3, 4]);
    assert.deepEqual(res.learners, []);
    res = await unary(c, c.changeMembership, { op: 'remove', nodeId: 4, address: '' }, 5_000);
    assert.deepEqual([...res.voters].sort(), [1, 2, 3]);
  });

  it('refuses a malformed membership change with INVALID_ARGUMENT', async () => {
    const c = client(ms[0]!);
    await assert.rejects(unary(c, c.changeMembership, { op: 'add-learner', nodeId: 5, address: '' }), (e: unknown) => e instanceof RpcError && e.code === 3);
    await assert.rejects(unary(c, c.changeMembership, { op: 'evict', nodeId: 5, address: '' }), (e: unknown) => e instanceof RpcError && /op is add-learner/.test(e.message));
  });
});

describe('RaftMemberService error mapping', () => {
  const handle = (role: string): MemberHandle =>
    ({ node: { status: () => ({ role }) }, addressOf: (id: number) => `127.0.0.1:${7000 + id}` }) as unknown as MemberHandle;

  it('maps driver errors to the statuses clients retry on', () => {
    const notLeader = mapError(new NotLeaderError({ reason: 'not-leader', leader: 2 }, 2), handle('follower'));
    assert.ok(notLeader instanceof NotLeaderRpcError);
    assert.equal(notLeader.message, 'not leader; leader=2 127.0.0.1:7002');
    assert.equal(notLeader.code, status.FAILED_PRECONDITION);
    const electing = mapError(new NotLeaderError({ reason: 'no-leader' }, 0), handle('candidate'));
    assert.ok(electing instanceof UnavailableRpcError);
    const unknown = mapError(new NotLeaderError({ reason: 'no-leader' }, 0), handle('follower'));
    assert.ok(unknown instanceof NotLeaderRpcError && unknown.leaderId === 0);
    assert.equal((mapError(new ProposalLostError('lost'), handle('leader')) as RpcError).code, status.DEADLINE_EXCEEDED);
    assert.equal((mapError(new BusyError('busy'), handle('leader')) as RpcError).code, status.RESOURCE_EXHAUSTED);
  });

  it('round-trips "not leader" through a status and back', () => {
    const wire = toServiceError(new NotLeaderRpcError(3, '127.0.1.3:12380'));
    const back = fromServiceError({ ...new Error(wire.details), code: wire.code!, details: wire.details!, metadata: new Metadata() } as ServiceError);
    assert.ok(back instanceof NotLeaderRpcError);
    assert.equal(back.leaderId, 3);
    assert.equal(back.leaderAddress, '127.0.1.3:12380');
  });
});
