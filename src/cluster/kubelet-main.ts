/**
 * Process entry of one node's kubelet, as the supervisor starts it:
 *   node --import tsx src/cluster/kubelet-main.ts --config <state>/cluster.yaml --node w1
 * It resolves the node from the cluster config — its address, role, pod range, kubelet port,
 * the runtime's CRI socket and its directories (node-paths.ts), its certificates (the client
 * identity system:node:<node> for the component API, the serving certificate for the kubelet
 * API) — and runs src/kubelet's runKubelet. Every kubelet reads its manifest directory: that is
 * how each node's kube-proxy and a master's control plane run (static-pods.ts).
 */
import { mkdirSync } from 'node:fs';
import { runKubelet } from '../kubelet/main.js';
import { nodeFiles } from './api-access.js';
import { statePaths } from './config.js';
import { nodePaths } from './node-paths.js';
import { apiEndpointsOf, nodeFromArgs } from './node-args.js';
import { mainLog, runMain } from './process-main.js';

runMain('kubelet', async () => {
  const { cfg, node } = nodeFromArgs('kubelet-main');
  const paths = nodePaths(cfg, node.name);
  mkdirSync(paths.kubeletDir, { recursive: true });
  const apiEndpoints = apiEndpointsOf(cfg, node.name);
  const files = nodeFiles(statePaths(cfg.name, cfg.dataDir), node.name);
  const running = await runKubelet({
    nodeName: node.name,
    address: node.address,
    apiEndpoints,
    tls: files.client,
    servingTls: files.serving,
    runtimeSocket: paths.criSocket,
    rootDir: paths.kubeletDir,
    manifestDir: paths.manifestDir,
    podCidr: node.podCidr,
    role: node.role,
    kubeletPort: node.kubeletPort,
    log: mainLog,
  });
  return () => running.stop();
});
