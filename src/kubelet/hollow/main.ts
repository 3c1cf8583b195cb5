/**
 * Process entry of one shard of a cluster's hollow nodes (`hollow: { nodes, processes }` in the
 * cluster config; the supervisor starts `processes` of these):
 *   node --import tsx src/kubelet/hollow/main.ts --config <state>/cluster.yaml --shard 0
 * Shard i runs hollow-<k+1> for every k ≡ i (mod processes) (hollowShard), connected to every
 * master's component gRPC API with one client identity from the cluster PKI: node-hollow.crt
 * (CN=system:node:hollow, O=system:nodes) when present, else the first node's own
 * node-hollow-NNNN.crt. Node k's InternalIP is 127.65.<k/250>.<1+k%250> and its pods' range
 * 127.<128+k/256>.<k%256>.0/24 — loopback, and never bound: nothing listens on them.
 * State (the pods' volume directories) lives in <state>/hollow/shard-<i> and is removed at stop.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../../base/clock.js';
import { systemWallMs } from '../../base/wall-clock.js';
import { nodeFiles } from '../../cluster/api-access.js';
import { loadClusterConfig, statePaths, type ClusterConfig } from '../../cluster/config.js';
import { hollowShard } from '../../cluster/node-config.js';
import { mainLog, runMain } from '../../cluster/process-main.js';
import type { TlsFiles } from '../../rpc/credentials.js';
import { runHollowNodes } from './hollow-nodes.js';
import { hollowAddress, hollowIndexOf, hollowPodCidr } from './options.js';

/** SHARED_IDENTITY: the node name of the client certificate all hollow nodes may share. */
export const SHARED_IDENTITY = 'hollow';

runMain('hollow', async () => {
  const { values } = parseArgs({ options: { config: { type: 'string' },
    shard: { type: 'string' } } });
  if (values.config === undefined || values.shard === undefined) {
    throw new Error('usage: hollow/main.ts --config <cluster.yaml> --shard <i>');
  }
  const cfg = loadClusterConfig(values.config, { force: true });
  const h = cfg.hollow;
  if (h === undefined) throw new Error(`${values.config}: no hollow: block`);
  const shard = Number(values.shard);
  if (!Number.isInteger(shard) || shard < 0 || shard >= h.processes) {
    throw new Error(`--shard ${values.shard}: must be 0..${h.processes - 1} (hollow.processes)`);
  }
  const names = hollowShard(h, shard);
  const apiEndpoints = cfg.members.flatMap((m) => (m.grpc !== undefined ? [m.grpc] : []));
  if (apiEndpoints.length === 0) throw new Error(`${values.config}: no member has a grpc address`);
  const paths = statePaths(cfg.name, cfg.dataDir);
  const indexOf = (n: string): number => hollowIndexOf(n) ?? -1;
  mainLog(`hollow shard ${shard}/${h.processes}: ${names.length} nodes, pid ${process.pid}, ` +
    `API ${apiEndpoints.join(',')}`);
  const nodes = await runHollowNodes({
    names,
    addressOf: (n) => hollowAddress(indexOf(n)),
    podCidrOf: (n) => hollowPodCidr(indexOf(n)),
    apiEndpoints,
    tls: hollowTls(cfg, paths, names[0] ?? ''),
    rootDir: join(paths.root, 'hollow', `shard-${shard}`),
    clock: systemClock,
    wallMs: systemWallMs,
    log: mainLog,
  });
  mainLog(`hollow shard ${shard}: ${nodes.registered()}/${names.length} nodes registered`);
  return () => nodes.stop();
});

/** hollowTls: the shared hollow identity, else the first node's certificate. */
function hollowTls(cfg: ClusterConfig, paths: ReturnType<typeof statePaths>,
  first: string): TlsFiles {
  for (const name of [SHARED_IDENTITY, first]) {
    const { client } = nodeFiles(paths, name);
    if (existsSync(client.certFile) && existsSync(client.keyFile)) return client;
  }
  throw new Error(`cluster ${cfg.name}: no client certificate for hollow nodes ` +
    `(${nodeFiles(paths, SHARED_IDENTITY).client.certFile} or the first node's own)`);
}
