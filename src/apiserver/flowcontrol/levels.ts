/**
 * Which priority level and which flow a mutating request belongs to: a small, fixed version of
 * kube-apiserver's API Priority and Fairness configuration (its suggested FlowSchemas and
 * PriorityLevelConfigurations, v1.29+), pure so it is tested on its own.
 *
 * Why levels: on a saturated API server a kubelet's node heartbeat or a controller's write must
 * not wait behind thousands of writes of one other client. Why flows: inside one level, each
 * client (user) gets its turn, so one busy client cannot starve the others of that level.
 *
 * Departures from upstream, on purpose: coordination.k8s.io Leases are exempt (upstream gives
 * leader election and node leases their own small levels; here a Lease renewal never queues at
 * all, because a renewal that misses its deadline deposes a leader or marks a node Unknown, and
 * then the whole cluster does more work, not less), and there is one configuration, not
 * FlowSchema objects in the API.
 */
import type { ResourceInfo } from '../../api/resources.js';
import type { UserInfo } from '../registry/types.js';

/** LevelName: upstream's suggested priority levels that k8ts uses. */
export type LevelName =
  | 'exempt'
  | 'node-high'
  | 'system'
  | 'workload-high'
  | 'workload-low'
  | 'global-default';

/** Level: a priority level's share of the server's seats and its queue bounds. */
export interface Level {
  name: LevelName;
  /** nominalConcurrencyShares as upstream; exempt has none (never queues). */
  shares: number;
}

/** LEVELS in the order the dispatcher prefers them when several are under their share. */
export const LEVELS: readonly Level[] = [
  { name: 'exempt', shares: 0 },
  { name: 'node-high', shares: 40 },
  { name: 'system', shares: 30 },
  { name: 'workload-high', shares: 40 },
  { name: 'workload-low', shares: 100 },
  { name: 'global-default', shares: 20 },
];

/** Classified: where one request queues. flow identifies the client inside its level. */
export interface Classified {
  level: LevelName;
  flow: string;
}

/** RequestAttrs: what classification reads (upstream matches subjects and resource rules). */
export interface RequestAttrs {
  user: UserInfo;
  resource: ResourceInfo;
}

/** Users upstream's "kube-controller-manager" and "kube-scheduler" FlowSchemas match. */
const WORKLOAD_HIGH_USERS = new Set([
  'system:kube-controller-manager',
  'system:kube-scheduler',
]);

/** classify maps a mutating request to its level and flow (flow distinguisher: by user). */
export function classify(a: RequestAttrs): Classified {
  const groups = a.user.groups;
  const flow = a.user.name;
  if (groups.includes('system:masters')) return { level: 'exempt', flow };
  if (a.resource.group === 'coordination.k8s.io' && a.resource.resource === 'leases') {
    return { level: 'exempt', flow };
  }
  if (groups.includes('system:nodes')) {
    const nodeObject = a.resource.group === '' && a.resource.resource === 'nodes';
    return { level: nodeObject ? 'node-high' : 'system', flow };
  }
  if (WORKLOAD_HIGH_USERS.has(a.user.name)) return { level: 'workload-high', flow };
  if (groups.includes('system:serviceaccounts')) return { level: 'workload-low', flow };
  return { level: 'global-default', flow };
}

/**
 * nominalSeats splits totalSeats over the queuing levels by their shares, as upstream's
 * nominal concurrency limit (ceil, so every level has at least one seat). Exempt gets none.
 */
export function nominalSeats(totalSeats: number): Map<LevelName, number> {
  const queuing = LEVELS.filter((l) => l.shares > 0);
  const sum = queuing.reduce((s, l) => s + l.shares, 0);
  return new Map(queuing.map((l) => [l.name, Math.ceil((totalSeats * l.shares) / sum)]));
}
