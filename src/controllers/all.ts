/**
 * allControllers: the controllers a k8ts controller manager runs, in upstream's names, with their
 * options. One list, so `k8ts up`, the simulation and the tests start the same set.
 */
import { daemonSetController } from './daemonset/controller.js';
import { deploymentController } from './deployment/controller.js';
import { endpointsController } from './endpoints/controller.js';
import { endpointSliceController } from './endpointslice/controller.js';
import { garbageCollectorController } from './garbagecollector/controller.js';
import { jobController } from './job/controller.js';
import { namespaceController } from './namespace/controller.js';
import { replicaSetController } from './replicaset/controller.js';
import { newNodeLifecycleController } from './nodelifecycle/controller.js';
import { serviceAccountController } from './serviceaccount/controller.js';
import type { ControllerDescriptor } from './types.js';

/** ControllerOptions: the knobs the cluster config exposes. */
export interface ControllerOptions {
  /** Node lifecycle: a node not heard from for this long turns Unknown (upstream 40 s). */
  nodeMonitorGracePeriodMs: number;
}

/**
 * CONTROLLER_RESOURCES: every resource some controller informs on — the garbage collector's
 * (which covers the others'); what a standby controller manager keeps warm.
 */
export { GC_RESOURCES as CONTROLLER_RESOURCES } from './garbagecollector/controller.js';

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
