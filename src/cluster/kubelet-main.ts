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
import { parseArgs } from 'node:util';
import { runKubelet } from '../kubelet/main.js';
import { nodeFiles } from './api-access.js';
import { loadClusterConfig, statePaths } from './config.js';
import { nodePaths } from './node-paths.js';
import { mainLog, runMain } from './process-main.js';

runMain('kubelet', async () => {
  const { values } = parseArgs({ options: { config: { type: 'string' }, node: { type: 'string' } } });
  if (!values.config || !values.node) throw new Error('usage: kubelet-main --config <file> --node <name>');
  const cfg = loadClusterConfig(values.config, { force: true });
  const node = cfg.nodes.find((n) => n.name === values.node);
  if (node === undefined) throw new Error(`${values.config}: no node ${values.node}`);
  const paths = nodePaths(cfg, node.name);
  mkdirSync(paths.kubeletDir, { recursive: true });
  // This master's API first: a kubelet keeps working while other masters are down.
  const masters = cfg.members.filter((m) => m.grpc !== undefined);
  const local = masters.filter((m) => m.name === node.name);
  const apiEndpoints = [...local, ...masters.filter((m) => m.name !== node.name)].map((m) => m.grpc ?? '');
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
