/**
 * The etcd Cluster service, backed by Raft membership changes. MemberAdd proposes a learner (or a
 * voter) whose conf change carries its peer address, so every member — and a snapshot — knows
 * where it listens; the new member's name and client URLs appear once it runs and publishes them.
 */
import type {
  ClusterServer,
  Member,
  MemberAddRequest,
  MemberAddResponse,
  MemberListRequest,
  MemberListResponse,
  MemberPromoteRequest,
  MemberPromoteResponse,
  MemberRemoveRequest,
  MemberRemoveResponse,
  MemberUpdateRequest,
  MemberUpdateResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { ConfChangeType } from '../../raft/core/types.js';
import { confChange } from '../../raft/node.js';
import { etcdErrors } from '../errors.js';
import { toEtcdError } from './errors.js';
import type { StoreCore } from './store-core.js';
import { serve } from './unary.js';

export interface ClusterDeps {
  core: StoreCore;
  /** newMemberId picks a Raft id for MemberAdd that no member uses. */
  newMemberId(): number;
  /** Peer URLs a learner must reach before promotion: the leader's view of its progress, or
   *  undefined on a follower (etcd forwards promotions to the leader for the same check). */
  learnerCaughtUp(id: number): boolean | undefined;
}

/** A learner within this many entries of the leader's log may be promoted (etcd: 90% rule). */
export const PROMOTE_MAX_LAG_ENTRIES = 1000;

export function clusterService(d: ClusterDeps): ClusterServer {
  const { core } = d;
  return {
    memberList: serve<MemberListRequest, MemberListResponse>(async () => ({ header: core.header(), members: memberList(core) })),
    memberAdd: serve<MemberAddRequest, MemberAddResponse>(async (req) => {
      const addresses = req.peerURLs.map(peerAddress);
      if (addresses.length !== 1) throw etcdErrors.memberBadURLs();
      const address = addresses[0]!;
      if (memberList(core).some((m) => m.peerURLs.some((u) => peerAddress(u) === address))) throw etcdErrors.peerURLExists();
      const id = d.newMemberId();
      const type = req.isLearner ? ConfChangeType.CONF_CHANGE_TYPE_ADD_LEARNER : ConfChangeType.CONF_CHANGE_TYPE_ADD_VOTER;
      await change(core, type, id, address);
      const member: Member = { ID: BigInt(id), name: '', peerURLs: req.peerURLs, clientURLs: [], isLearner: req.isLearner };
      return { header: core.header(), member, members: memberList(core) };
    }),
    memberRemove: serve<MemberRemoveRequest, MemberRemoveResponse>(async (req) => {
      const id = memberIdOf(core, req.ID);
      await change(core, ConfChangeType.CONF_CHANGE_TYPE_REMOVE, id, '');
      return { header: core.header(), members: memberList(core) };
    }),
    memberPromote: serve<MemberPromoteRequest, MemberPromoteResponse>(async (req) => {
      const id = memberIdOf(core, req.ID);
      if (!core.node.status().confState.learners.includes(id)) throw etcdErrors.memberNotLearner();
      if (d.learnerCaughtUp(id) === false) throw etcdErrors.learnerNotReady();
      await change(core, ConfChangeType.CONF_CHANGE_TYPE_ADD_VOTER, id, '');
      return { header: core.header(), members: memberList(core) };
    }),
    memberUpdate: serve<MemberUpdateRequest, MemberUpdateResponse>(async () => {
      // Raft membership here has no "update address" change; a member moves by remove + add.
      throw etcdErrors.notCapable();
    }),
  };
}

async function change(core: StoreCore, type: ConfChangeType, id: number, address: string): Promise<void> {
  try {
    const p = core.node.changeMembership(confChange(type, id, address));
    core.opts.kick();
    await p;
  } catch (err) {
    throw toEtcdError(err);
  }
}

/** memberList joins the store's member records with Raft's view of who votes. */
export function memberList(core: StoreCore): Member[] {
  const learners = new Set(core.node.status().confState.learners);
  return core.state.members().map((m) => ({
    ID: m.id,
    name: m.name,
    peerURLs: m.peerUrls,
    clientURLs: m.clientUrls,
    isLearner: learners.has(Number(m.id)),
  }));
}

function memberIdOf(core: StoreCore, id: bigint): number {
  if (!core.state.members().some((m) => m.id === id)) throw etcdErrors.memberNotFound();
  return Number(id);
}

/** peerAddress turns a peer URL (http://127.0.1.4:12380) into host:port; only loopback hosts
 *  are accepted, as everywhere in k8ts. */
export function peerAddress(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw etcdErrors.memberBadURLs();
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.port === '' || !/^127\.\d+\.\d+\.\d+$/.test(u.hostname)) {
    throw etcdErrors.memberBadURLs();
  }
  return `${u.hostname}:${u.port}`;
}
