/**
 * Process entry of one node's kube-proxy, run by the node's kubelet as the static pod
 * kube-proxy-<node> (static-pods.ts):
 *   node src/cluster/proxy-main.ts --config <state>/cluster.yaml --node w1
 * It finds the node in the cluster config, talks to the component API as system:kube-proxy (this
 * master's API server first when the node is a master) and runs src/proxy's kube-proxy on the
 * node's address.
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../base/clock.js';
import { systemWallMs } from '../base/wall-clock.js';
import { ApiClient } from '../client/api-client.js';
import { startProxy } from '../proxy/proxy.js';
import { componentTls } from './api-access.js';
import { loadClusterConfig, statePaths } from './config.js';
import { mainLog, runMain } from './process-main.js';

runMain('kube-proxy', async () => {
  const { values } = parseArgs({ options: { config: { type: 'string' }, node: { type: 'string' } } });
  if (!values.config || !values.node) throw new Error('usage: proxy-main --config <file> --node <name>');
  const cfg = loadClusterConfig(values.config, { force: true });
  const node = cfg.nodes.find((n) => n.name === values.node);
  if (node === undefined) throw new Error(`${values.config}: no node ${values.node}`);
  const masters = cfg.members.filter((m) => m.grpc !== undefined);
  const endpoints = [...masters.filter((m) => m.name === node.name),
    ...masters.filter((m) => m.name !== node.name)].map((m) => m.grpc ?? '');
  const api = new ApiClient({ endpoints,
    tls: componentTls(statePaths(cfg.name, cfg.dataDir), 'kube-proxy'), seed: process.pid });
  const proxy = await startProxy({ api, nodeName: node.name, nodeIp: node.address,
    clock: systemClock, wallMs: systemWallMs, log: mainLog });
  mainLog(`kube-proxy ${node.name} on ${node.address}: API ${endpoints.join(',')}`);
  return async () => {
    await proxy.stop();
    api.close();
  };
});
