/**
 * What a node component's process entry (kubelet, runtime, kube-proxy) reads first: its cluster
 * config and its node, from `--config <file> --node <name>`, and the API servers it talks to.
 */
import { parseArgs } from 'node:util';
import { loadClusterConfig, type ClusterConfig } from './config.js';
import type { NodeSpec } from './node-config.js';

/** nodeFromArgs parses `--config <file> --node <name>` (usage errors name the entry). */
export function nodeFromArgs(entry: string): { cfg: ClusterConfig; node: NodeSpec } {
  const { values } = parseArgs({ options: { config: { type: 'string' }, node: { type: 'string' } } });
  if (!values.config || !values.node) throw new Error(`usage: ${entry} --config <file> --node <name>`);
  const cfg = loadClusterConfig(values.config, { force: true });
  const node = cfg.nodes.find((n) => n.name === values.node);
  if (node === undefined) throw new Error(`${values.config}: no node ${values.node}`);
  return { cfg, node };
}

/** apiEndpointsOf: the masters' component-API addresses, this node's own master first — a
 *  node component keeps working while other masters are down. */
export function apiEndpointsOf(cfg: ClusterConfig, nodeName: string): string[] {
  const masters = cfg.members.filter((m) => m.grpc !== undefined);
  return [...masters.filter((m) => m.name === nodeName), ...masters.filter((m) => m.name !== nodeName)]
    .map((m) => m.grpc ?? '');
}
