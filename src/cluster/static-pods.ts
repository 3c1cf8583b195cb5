/**
 * The control plane as static pods, as kubeadm lays a master out: on a cluster with kubelets each
 * master's kubelet runs its store member (etcd-<master>), API server, controller manager and
 * scheduler from manifests in its manifest directory, through the process runtime, and mirrors
 * them into the API — so `kubectl get pods -n kube-system -o wide` shows them with their true
 * status, and a killed component is restarted by its kubelet (with CrashLoopBackOff) as on a
 * kubeadm master.
 *
 * Each container runs this repo's entry point — bundled or through tsx, as the supervisor's
 * Launch says (build/launch.ts) — with the host's node (image host/<node binary>:
 * the process runtime's "this host binary" image) in the repo directory, with the environment
 * the component needs: K8TS_HOME (so it finds the cluster's state), and K8TS_PID_FILE, where it
 * records its pid so `k8ts kill|status` address it as they address every other component.
 * Pure: the supervisor writes what this returns.
 */
import { join } from 'node:path';
import { REPO_ROOT } from './build/entry-points.js';
import { TSX_LAUNCH, type Launch } from './build/launch.js';
import { HEALTHZ_PORT } from '../proxy/health.js';
import { apiServerArgs, k8tsHome, statePaths, type ClusterConfig, type MemberSpec } from './config.js';
import type { NodeSpec } from './node-config.js';
import { unitName, type Component } from './processes.js';

/** The control-plane components a master runs as static pods, with kubeadm's pod names. */
export const STATIC_COMPONENTS: readonly { component: Component; pod: string }[] = [
  { component: 'store', pod: 'etcd' },
  { component: 'apiserver', pod: 'kube-apiserver' },
  { component: 'controller-manager', pod: 'kube-controller-manager' },
  { component: 'scheduler', pod: 'kube-scheduler' },
];

/** A manifest file to write: its base name and the pod it holds. */
export interface StaticManifest {
  file: string;
  component: Component;
  pod: Record<string, unknown>;
}

/** staticComponentsOf: which control-plane components this master runs. */
export function staticComponentsOf(m: MemberSpec): Component[] {
  const out: Component[] = ['store'];
  if (m.api !== undefined) out.push('apiserver');
  if (m.grpc !== undefined) out.push('controller-manager', 'scheduler');
  return out;
}

/** controlPlaneManifests: the static pods of one master, for its kubelet's manifest dir. */
export function controlPlaneManifests(
  cfg: ClusterConfig, m: MemberSpec, env: NodeJS.ProcessEnv, launch: Launch = TSX_LAUNCH,
  nodeBinary = process.execPath,
): StaticManifest[] {
  const paths = statePaths(cfg.name, cfg.dataDir, env);
  const wanted = staticComponentsOf(m);
  return STATIC_COMPONENTS.filter((s) => wanted.includes(s.component)).map(({ component, pod }) =>
    componentPod({
      pod, component, node: m.name, env, nodeBinary,
      labels: { component: pod, tier: 'control-plane' },
      command: [...launch.nodeArgs(component), '--config', paths.config, '--member', m.name,
        ...(component === 'apiserver' ? apiServerArgs(cfg) : [])],
      probe: readiness(component, m),
    }, paths.pids));
}

/**
 * runsProxy: whether a node runs kube-proxy. The userspace proxy serves the host's network, where
 * only the process runtime's pods live (runc and containerd pods sit in their own namespaces, and
 * those runtimes cannot run host-binary images; README "Unfinished").
 */
export function runsProxy(node: NodeSpec): boolean {
  return node.runtime === 'process';
}

/**
 * proxyManifest: every node's kube-proxy as the static pod kube-proxy (mirrored as
 * kube-proxy-<node>; kubeadm runs it as a DaemonSet, one pod per node all the same), ready when
 * its /healthz on the node's address answers.
 */
export function proxyManifest(
  cfg: ClusterConfig, node: NodeSpec, env: NodeJS.ProcessEnv, launch: Launch = TSX_LAUNCH,
  nodeBinary = process.execPath,
): StaticManifest {
  const paths = statePaths(cfg.name, cfg.dataDir, env);
  return componentPod({
    pod: 'kube-proxy', component: 'proxy', node: node.name, env, nodeBinary,
    labels: { 'k8s-app': 'kube-proxy' },
    command: [...launch.nodeArgs('proxy'), '--config', paths.config, '--node', node.name],
    probe: {
      readinessProbe: {
        httpGet: { host: node.address, port: HEALTHZ_PORT, path: '/healthz' },
        periodSeconds: 2,
        failureThreshold: 3,
      },
    },
  }, paths.pids);
}

/** ComponentPod: what differs between the k8ts components run as static pods. */
interface ComponentPod {
  pod: string;
  component: Component;
  node: string;
  env: NodeJS.ProcessEnv;
  nodeBinary: string;
  labels: Record<string, string>;
  /** The node arguments after the binary: the entry point and its flags. */
  command: string[];
  probe: Record<string, unknown>;
}

/** componentPod: one k8ts component as a host-network static pod in kube-system. */
function componentPod(c: ComponentPod, pidDir: string): StaticManifest {
  return {
    file: `${c.pod}.yaml`,
    component: c.component,
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: c.pod, namespace: 'kube-system', labels: c.labels },
      spec: {
        hostNetwork: true,
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 10,
        containers: [{
          name: c.pod,
          image: `host${c.nodeBinary}`,
          command: [c.nodeBinary, ...c.command],
          workingDir: REPO_ROOT,
          env: [
            { name: 'K8TS_HOME', value: k8tsHome(c.env) },
            { name: 'K8TS_PID_FILE', value: join(pidDir, `${unitName(c.node, c.component)}.pid`) },
            { name: 'PATH', value: c.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' },
            { name: 'HOME', value: c.env.HOME ?? '/root' },
            ...passedOn(c.env),
          ],
          ...c.probe,
        }],
      },
    },
  };
}

/** Set for every component pod above; never taken from the caller's environment. */
const OWN_ENV = new Set(['K8TS_HOME', 'K8TS_PID_FILE']);

/**
 * passedOn: the caller's K8TS_* variables (K8TS_NO_MERGE, the burst timeline's K8TS_TIMELINE, an
 * experiment's K8TS_STORE_BG_SYNC_MIN, ...) for a component pod. The kubelet starts static pods
 * with their manifest's env only, so a variable not passed here never reaches the component, and
 * an A/B run with it silently compares the same code.
 */
export function passedOn(env: NodeJS.ProcessEnv): { name: string; value: string }[] {
  return Object.entries(env)
    .filter((e): e is [string, string] => e[0].startsWith('K8TS_') && !OWN_ENV.has(e[0]) && e[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
}

/** readiness: READY says the component answers — the API server's /readyz over HTTPS, as
 *  kubeadm's kube-apiserver manifest probes it (anonymous: public-info.ts), so READY also says it
 *  reaches the store; a TCP probe on the store's client port (etcd's manifest probes an HTTP
 *  health port k8ts's store does not serve). */
function readiness(c: Component, m: MemberSpec): Record<string, unknown> {
  const address = c === 'store' ? (m.client ?? m.address) : c === 'apiserver' ? m.api : undefined;
  if (address === undefined) return {};
  const i = address.lastIndexOf(':');
  const [host, port] = [address.slice(0, i), Number(address.slice(i + 1))];
  return {
    readinessProbe: {
      ...(c === 'apiserver'
        ? { httpGet: { host, port, path: '/readyz', scheme: 'HTTPS' } }
        : { tcpSocket: { host, port } }),
      periodSeconds: 2,
      failureThreshold: 3,
    },
  };
}
