/**
 * Process entry of one master's scheduler (kube-scheduler):
 *   node --import tsx src/cluster/scheduler-main.ts --config <state>/cluster.yaml --member m1
 * Every master runs one; the holder of Lease kube-system/kube-scheduler schedules, fenced; the
 * others stand by with warm pod and node caches.
 */
import { NODES, PODS, runScheduler } from '../scheduler/scheduler.js';
import { electedMain } from './elected-main.js';

electedMain({
  name: 'scheduler',
  identity: 'kube-scheduler',
  warm: (informers) => {
    informers.informerFor(PODS);
    informers.informerFor(NODES);
  },
  lead: async (t) => {
    await runScheduler({ ...t, events: t.events('default-scheduler') });
  },
});
