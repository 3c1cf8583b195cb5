/**
 * Process entry of one master's scheduler (kube-scheduler):
 *   node --import tsx src/cluster/scheduler-main.ts --config <state>/cluster.yaml --member m1
 * Every master runs one; the holder of Lease kube-system/kube-scheduler schedules, fenced.
 */
import { runScheduler } from '../scheduler/scheduler.js';
import { electedMain } from './elected-main.js';

electedMain({
  name: 'scheduler',
  identity: 'kube-scheduler',
  lead: async (t) => {
    const events = t.events('default-scheduler');
    await runScheduler({ ...t, events });
  },
});
