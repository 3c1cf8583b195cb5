/**
 * Process entry of one master's controller manager (kube-controller-manager):
 *   node --import tsx src/cluster/controller-manager-main.ts \
 *     --config <state>/cluster.yaml --member m1
 * Every master runs one; the holder of Lease kube-system/kube-controller-manager runs every
 * controller, fenced; the others stand by with warm caches of every resource (the garbage
 * collector watches them all).
 */
import { RESOURCES } from '../api/resources.js';
import { allControllers } from '../controllers/all.js';
import { runControllers } from '../controllers/manager.js';
import { electedMain } from './elected-main.js';

electedMain({
  name: 'controller-manager',
  identity: 'kube-controller-manager',
  warm: (informers) => {
    for (const r of RESOURCES) {
      informers.informerFor({ group: r.group, version: r.version, resource: r.resource });
    }
  },
  lead: (t) => runControllers({ ...t, controllers: allControllers(t.cfg.controlPlane) }),
});
