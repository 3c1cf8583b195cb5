/**
 * Cluster and maintenance results (member list, status, hash, alarms) in plain shapes: member
 * and cluster ids stay bigint as on etcd's wire, indexes and sizes become numbers.
 */
import {
  AlarmType,
  type AlarmResponse,
  type HashKVResponse,
  type Member as PbMember,
  type MemberListResponse,
  type StatusResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { header, num, type Header } from './kv.js';

export interface Member {
  id: bigint;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface MemberListResult {
  header: Header;
  members: Member[];
}

export interface StatusResult {
  /** The endpoint that answered. */
  endpoint: string;
  /** header.memberId is the answering member; it leads when it equals `leader`. */
  header: Header;
  version: string;
  dbSize: number;
  dbSizeInUse: number;
  /** The leader's member id as this member knows it (0n: none). */
  leader: bigint;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  isLearner: boolean;
  errors: string[];
}

export interface HashKVResult {
  header: Header;
  hash: number;
  compactRevision: number;
}

export type AlarmName = 'NONE' | 'NOSPACE' | 'CORRUPT' | 'UNKNOWN';

export interface Alarm {
  memberId: bigint;
  alarm: AlarmName;
}

function member(m: PbMember): Member {
  return { id: m.ID, name: m.name, peerUrls: m.peerURLs, clientUrls: m.clientURLs, isLearner: m.isLearner };
}

export function memberListResult(r: MemberListResponse): MemberListResult {
  return { header: header(r.header), members: r.members.map(member) };
}

export function statusResult(endpoint: string, r: StatusResponse): StatusResult {
  return {
    endpoint,
    header: header(r.header),
    version: r.version,
    dbSize: num(r.dbSize),
    dbSizeInUse: num(r.dbSizeInUse),
    leader: r.leader,
    raftIndex: num(r.raftIndex),
    raftTerm: num(r.raftTerm),
    raftAppliedIndex: num(r.raftAppliedIndex),
    isLearner: r.isLearner,
    errors: r.errors,
  };
}

export function hashKVResult(r: HashKVResponse): HashKVResult {
  return { header: header(r.header), hash: r.hash, compactRevision: num(r.compactRevision) };
}

const ALARM: Record<number, AlarmName> = {
  [AlarmType.NONE]: 'NONE',
  [AlarmType.NOSPACE]: 'NOSPACE',
  [AlarmType.CORRUPT]: 'CORRUPT',
};

export function alarmsResult(r: AlarmResponse): Alarm[] {
  return r.alarms.map((a) => ({ memberId: a.memberID, alarm: ALARM[a.alarm] ?? 'UNKNOWN' }));
}
