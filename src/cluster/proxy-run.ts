/**
 * One node's kube-proxy process, started by its entry src/cluster/proxy-main.ts once an API
 * server answers (api-wait.ts). It finds the node in the cluster config, talks to the component
 * API as system:kube-proxy (this master's API server first when the node is a master) and runs
 * src/proxy's kube-proxy on the node's address.
 */
import { systemClock } from '../base/clock.js';
import { systemWallMs } from '../base/wall-clock.js';
import { ApiClient } from '../client/api-client.js';
import { componentUserAgent } from '../client/user-agent.js';
import { versionInfo } from '../apiserver/discovery/version.js';
import { startProxy } from '../proxy/proxy.js';
import { componentTls } from './api-access.js';
import { statePaths } from './config.js';
import { apiEndpointsOf, nodeFromArgs } from './node-args.js';
import { mainLog, runMain } from './process-main.js';

runMain('kube-proxy', async () => {
  const { cfg, node } = nodeFromArgs('proxy-main');
  const endpoints = apiEndpointsOf(cfg, node.name);
  const api = new ApiClient({ endpoints,
    tls: componentTls(statePaths(cfg.name, cfg.dataDir), 'kube-proxy'), seed: process.pid,
    userAgent: componentUserAgent('kube-proxy', versionInfo()) });
  const proxy = await startProxy({ api, nodeName: node.name, nodeIp: node.address,
    clock: systemClock, wallMs: systemWallMs, log: mainLog });
  mainLog(`kube-proxy ${node.name} on ${node.address}: API ${endpoints.join(',')}`);
  return async () => {
    await proxy.stop();
    api.close();
  };
});
