/**
 * Process entry of one node's kube-proxy, run by the node's kubelet as the static pod
 * kube-proxy-<node> (static-pods.ts):
 *   node src/cluster/proxy-main.ts --config <state>/cluster.yaml --node w1
 * It loads kube-proxy (proxy-run.ts) once an API server answers (api-wait.ts says why).
 */
import { whenApiAnswers } from './api-wait.js';

await whenApiAnswers('node', async () => {
  await import('./proxy-run.js');
});
