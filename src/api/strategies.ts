/**
 * strategyFor: the one lookup from (group, kind) to that kind's KindStrategy. The registry asks it
 * for every write and every field-selected list; a kind in the resource table without a strategy
 * is a programming error, caught by the test that walks RESOURCES.
 */
import { daemonSetStrategy, deploymentStrategy, replicaSetStrategy } from './apps/v1/workloads.js';
import { jobStrategy } from './batch/v1/job.js';
import { leaseStrategy } from './coordination/v1/lease.js';
import { namespaceStrategy, nodeStrategy } from './core/v1/cluster-kinds.js';
import { configMapStrategy, secretStrategy } from './core/v1/config.js';
import { endpointsStrategy } from './core/v1/endpoints.js';
import { eventStrategy } from './core/v1/event.js';
import { podStrategy } from './core/v1/pod-strategy.js';
import { serviceAccountStrategy } from './core/v1/service-account.js';
import { serviceStrategy } from './core/v1/service.js';
import { endpointSliceStrategy } from './discovery/v1/endpoint-slice.js';
import type { KindStrategy } from './strategy.js';

const STRATEGIES: ReadonlyMap<string, KindStrategy> = new Map([
  ['/Pod', podStrategy],
  ['/Service', serviceStrategy],
  ['/Endpoints', endpointsStrategy],
  ['/Namespace', namespaceStrategy],
  ['/Node', nodeStrategy],
  ['/ConfigMap', configMapStrategy],
  ['/Secret', secretStrategy],
  ['/ServiceAccount', serviceAccountStrategy],
  ['/Event', eventStrategy],
  ['apps/Deployment', deploymentStrategy],
  ['apps/ReplicaSet', replicaSetStrategy],
  ['apps/DaemonSet', daemonSetStrategy],
  ['batch/Job', jobStrategy],
  ['coordination.k8s.io/Lease', leaseStrategy],
  ['discovery.k8s.io/EndpointSlice', endpointSliceStrategy],
]);

/** strategyFor returns the strategy of a served kind; throws for a kind k8ts does not serve. */
export function strategyFor(group: string, kind: string): KindStrategy {
  const s = STRATEGIES.get(`${group}/${kind}`);
  if (!s) throw new Error(`no strategy for kind ${kind} in group "${group}"`);
  return s;
}
