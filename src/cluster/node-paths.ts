/**
 * Where a node keeps its state under the cluster's state dir, one place for the supervisor, the
 * runtime and the kubelet to agree on: <state>/nodes/<node>/{runtime/, cri.sock, kubelet/,
 * manifests/}. Unix socket paths are limited to 107 bytes, so a state dir too deep for the
 * socket is refused with a message instead of an EINVAL at bind time.
 */
import { join } from 'node:path';
import { statePaths, type ClusterConfig } from './config.js';

/** NodePaths: one node's directories and its CRI socket. */
export interface NodePaths {
  root: string;
  /** The runtime's state (records, pipes, ipam). */
  runtimeDir: string;
  /** The CRI endpoint the kubelet dials. */
  criSocket: string;
  /** The kubelet's root dir (pods/<uid>/volumes, pod logs). */
  kubeletDir: string;
  /** Static pod manifests the kubelet runs (kube-proxy; on masters the control plane too). */
  manifestDir: string;
}

/** UNIX_PATH_MAX: sockaddr_un's sun_path minus the terminating NUL. */
const UNIX_PATH_MAX = 107;

/** nodePaths resolves a node's directories for a cluster config. */
export function nodePaths(cfg: ClusterConfig, node: string, env: NodeJS.ProcessEnv = process.env): NodePaths {
  const root = join(statePaths(cfg.name, cfg.dataDir, env).root, 'nodes', node);
  const criSocket = join(root, 'cri.sock');
  if (Buffer.byteLength(criSocket) > UNIX_PATH_MAX) {
    throw new Error(`${criSocket}: longer than a unix socket path may be (${UNIX_PATH_MAX} bytes); ` +
      'use a shorter K8TS_HOME or cluster name');
  }
  return {
    root,
    runtimeDir: join(root, 'runtime'),
    criSocket,
    kubeletDir: join(root, 'kubelet'),
    manifestDir: join(root, 'manifests'),
  };
}

/** bridgeName: the node's bridge — "k8ts-<cluster>-<node>" (two clusters' w1 never share one),
 *  or "k8ts-" and a hash of both when that exceeds IFNAMSIZ's 15 bytes. The "k8ts-" prefix is
 *  how the runtimes recognise k8ts bridges on the host. The supervisor deletes it at down. */
export function bridgeName(cluster: string, node: string): string {
  const name = `k8ts-${cluster}-${node}`;
  if (name.length <= 15) return name;
  let h = 0;
  for (const ch of `${cluster}/${node}`) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `k8ts-${h.toString(16).padStart(8, '0')}`;
}
