/**
 * Process entry of one master's scheduler (kube-scheduler):
 *   node --import tsx src/cluster/scheduler-main.ts --config <state>/cluster.yaml --member m1
 * Every master runs one; the holder of Lease kube-system/kube-scheduler schedules, fenced; the
 * others stand by with warm pod and node caches. The scheduler is loaded once an API server
 * answers (api-wait.ts says why).
 */
import { whenApiAnswers } from './api-wait.js';

await whenApiAnswers('member', async () => {
  const [{ NODES, PODS, runScheduler }, { electedMain }] = await Promise.all([
    import('../scheduler/scheduler.js'), import('./elected-main.js')]);
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
});
