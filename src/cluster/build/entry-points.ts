/**
 * The processes k8ts spawns and the TypeScript file each one runs: what the supervisor and the
 * kubelets start (processes.ts, static-pods.ts) and what the bundler compiles (bundle.ts) — one
 * list, so a new component cannot be started without being bundled.
 */
import { fileURLToPath } from 'node:url';

/** REPO_ROOT: the checkout the components run from (their working directory); the entry points
 *  are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Component is one process of a node: a master's store member, API server, controller manager
 *  or scheduler, and every node's kubelet, container runtime and kube-proxy. */
export type Component =
  | 'store' | 'apiserver' | 'controller-manager' | 'scheduler' | 'kubelet' | 'runtime' | 'proxy'
  | 'hollow';

/** ENTRY_POINTS: each component's main, relative to the repo; its path stem (without .ts) is
 *  also what its command line contains, bundled or not. */
export const ENTRY_POINTS: Record<Component, string> = {
  store: 'src/cluster/member-main.ts',
  apiserver: 'src/apiserver/main.ts',
  'controller-manager': 'src/cluster/controller-manager-main.ts',
  scheduler: 'src/cluster/scheduler-main.ts',
  kubelet: 'src/cluster/kubelet-main.ts',
  runtime: 'src/cluster/runtime-main.ts',
  proxy: 'src/cluster/proxy-main.ts',
  hollow: 'src/kubelet/hollow/main.ts',
};
