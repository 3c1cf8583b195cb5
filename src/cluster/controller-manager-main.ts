/**
 * Process entry of one master's controller manager (kube-controller-manager):
 *   node --import tsx src/cluster/controller-manager-main.ts \
 *     --config <state>/cluster.yaml --member m1
 * Every master runs one; the holder of Lease kube-system/kube-controller-manager runs every
 * controller, fenced; the others stand by with warm caches of every resource the controllers
 * watch (the garbage collector's: all but events, as upstream) except leases
 * (STANDBY_WARM_RESOURCES says why). The controllers are loaded once an API server answers
 * (api-wait.ts says why).
 */
import { whenApiAnswers } from './api-wait.js';

await whenApiAnswers('member', async () => {
  const [{ allControllers, STANDBY_WARM_RESOURCES }, { runControllers }, { electedMain }] =
    await Promise.all([import('../controllers/all.js'),
      import('../controllers/manager.js'), import('./elected-main.js')]);
  electedMain({
    name: 'controller-manager',
    identity: 'kube-controller-manager',
    warm: (informers) => {
      for (const r of STANDBY_WARM_RESOURCES) {
        informers.informerFor({ group: r.group, version: r.version, resource: r.resource });
      }
    },
    lead: (t) => runControllers({ ...t, controllers: allControllers(t.cfg.controlPlane) }),
  });
});
