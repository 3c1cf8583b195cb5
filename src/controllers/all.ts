/**
 * allControllers: the controllers a k8ts controller manager runs, in upstream's names, with their
 * options. One list, so `k8ts up`, the simulation and the tests start the same set.
 */
import { daemonSetController } from './daemonset/controller.js';
import { deploymentController } from './deployment/controller.js';
import { endpointsController } from './endpoints/controller.js';
import { endpointSliceController } from './endpointslice/controller.js';
import { GC_RESOURCES, garbageCollectorController } from './garbagecollector/controller.js';
import { jobController } from './job/controller.js';
import { namespaceController } from './namespace/controller.js';
import { replicaSetController } from './replicaset/controller.js';
import { newNodeLifecycleController } from './nodelifecycle/controller.js';
import { serviceAccountController } from './serviceaccount/controller.js';
import type { ResourceInfo } from '../api/resources.js';
import type { ControllerDescriptor } from './types.js';

/** ControllerOptions: the knobs the cluster config exposes. */
export interface ControllerOptions {
  /** Node lifecycle: a node not heard from for this long turns Unknown (upstream 40 s). */
  nodeMonitorGracePeriodMs: number;
}

/**
 * CONTROLLER_RESOURCES: every resource some controller informs on — the garbage collector's
 * (which covers the others').
 */
export { GC_RESOURCES as CONTROLLER_RESOURCES } from './garbagecollector/controller.js';

/**
 * STANDBY_WARM_RESOURCES: what a standby controller manager keeps warm — every controller
 * resource but leases. The leader-election Leases of the scheduler and the controller manager
 * are renewed 10 times a second each, so a warm cluster-wide lease cache cost every standby 20
 * watch deliveries a second (an encode in the API server, a decode and a cache update here)
 * for a resource only the garbage collector reads whole and whose list is a handful of objects
 * (the nodes' Leases and the two leader Leases): the new leader lists it when it takes over, as it
 * already lists the node lifecycle controller's kube-node-lease view, in parallel, while its
 * controllers start. Measured on an idle 3 + 2 cluster (bench/lib/idle-cpu.ts, alternating
 * with the base, 2 pairs): controller managers 32 → 25 ms of CPU per second.
 */
export const STANDBY_WARM_RESOURCES: readonly ResourceInfo[] = GC_RESOURCES.filter(
  (r) => !(r.group === 'coordination.k8s.io' && r.resource === 'leases'));

export function allControllers(o: ControllerOptions): ControllerDescriptor[] {
  return [
    deploymentController,
    replicaSetController,
    endpointsController,
    endpointSliceController,
    serviceAccountController,
    namespaceController,
    garbageCollectorController,
    daemonSetController,
    jobController,
    newNodeLifecycleController({ nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriodMs }),
  ];
}
