/**
 * What `k8ts up` waits for and `k8ts status` shows of the nodes: each node's processes (runtime,
 * kubelet, kube-proxy) and what the API says of it — the Ready condition, the kubelet and runtime versions,
 * how many pods it runs. Read over HTTPS as the admin from any API server that answers.
 */
import type { Clock } from '../base/clock.js';
import { adminGetJson, type ApiAccess } from './api-access.js';
import type { ClusterConfig } from './config.js';
import type { NodeSpec } from './node-config.js';
import { runsProxy } from './static-pods.js';
import { SupervisorError, type Component } from './processes.js';

/** NodeRow: one node in `k8ts status`. */
export interface NodeRow {
  spec: NodeSpec;
  kubeletPid: number | undefined;
  runtimePid: number | undefined;
  /** kube-proxy's pid; 'none' on a node that runs no kube-proxy (root runtimes). */
  proxyPid: number | undefined | 'none';
  /** The Ready condition's status ("True", "False", "Unknown"), undefined when no Node object. */
  ready: string | undefined;
  /** The Ready condition's reason (KubeletReady, NodeStatusUnknown, ...). */
  reason: string | undefined;
  kubeletVersion: string | undefined;
  containerRuntime: string | undefined;
  /** Pods bound to the node (undefined when the API did not answer). */
  pods: number | undefined;
}

interface NodeObject {
  metadata?: { name?: string };
  status?: {
    conditions?: { type?: string; status?: string; reason?: string }[];
    nodeInfo?: { kubeletVersion?: string; containerRuntimeVersion?: string };
  };
}

/** nodeRows joins the config's nodes, their pids and the API's Node objects. */
export async function nodeRows(
  cfg: ClusterConfig,
  access: ApiAccess | undefined,
  pidOf: (node: string, c: Component) => number | undefined,
): Promise<NodeRow[]> {
  const { nodes, pods } = access === undefined ? { nodes: undefined, pods: undefined } : await readApi(cfg, access, true);
  return cfg.nodes.map((spec) => {
    const obj = nodes?.get(spec.name);
    const ready = obj?.status?.conditions?.find((c) => c.type === 'Ready');
    return {
      spec,
      kubeletPid: pidOf(spec.name, 'kubelet'),
      runtimePid: pidOf(spec.name, 'runtime'),
      proxyPid: runsProxy(spec) ? pidOf(spec.name, 'proxy') : 'none',
      ready: ready?.status,
      reason: ready?.reason,
      kubeletVersion: obj?.status?.nodeInfo?.kubeletVersion,
      containerRuntime: obj?.status?.nodeInfo?.containerRuntimeVersion,
      pods: pods === undefined ? undefined : (pods.get(spec.name) ?? 0),
    };
  });
}

/** readApi reads the Node objects (and, for status, the pods to count per node) from the first
 *  API server that answers; up's readiness poll asks for nodes only. */
async function readApi(cfg: ClusterConfig, access: ApiAccess, withPods: boolean): Promise<{
  nodes: Map<string, NodeObject> | undefined;
  pods: Map<string, number> | undefined;
}> {
  for (const m of cfg.members) {
    if (m.api === undefined) continue;
    const list = await adminGetJson(m.api, access, '/api/v1/nodes') as { items?: NodeObject[] } | undefined;
    if (list?.items === undefined) continue;
    const nodes = new Map(list.items.map((n) => [n.metadata?.name ?? '', n]));
    if (!withPods) return { nodes, pods: undefined };
    const podList = await adminGetJson(m.api, access, '/api/v1/pods', 5_000) as
      { items?: { spec?: { nodeName?: string } }[] } | undefined;
    const pods = podList?.items === undefined ? undefined : countBy(podList.items.map((p) => p.spec?.nodeName ?? ''));
    return { nodes, pods };
  }
  return { nodes: undefined, pods: undefined };
}

function countBy(keys: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1);
  return out;
}

/** NodesReady: what up's wait needs to report the nodes and to notice a dead node process. */
export interface NodesReadyOptions {
  clock: Clock;
  say(line: string): void;
}

/**
 * NodesReady follows the Node objects while `k8ts up` waits: each poll reads them once (from the
 * first API server that answers) and says each node as it turns Ready. The caller owns the loop,
 * so it can poll the nodes together with the API servers' readiness (a node registers as soon
 * as one API server answers, often before the last one is ready).
 */
export class NodesReady {
  private readonly said = new Set<string>();
  private startMs: number | undefined;

  constructor(
    private readonly cfg: ClusterConfig,
    private readonly access: ApiAccess,
    private readonly o: NodesReadyOptions,
  ) {}

  /** done: every configured node has been seen Ready. */
  get done(): boolean {
    return this.said.size === this.cfg.nodes.length;
  }

  /** sinceMs: how long the nodes have been polled (0 before the first poll). */
  sinceMs(): number {
    return this.startMs === undefined ? 0 : this.o.clock.nowMs() - this.startMs;
  }

  /** poll reads the nodes once and says the newly Ready ones; true when all are Ready. */
  async poll(): Promise<boolean> {
    if (this.startMs === undefined) {
      this.startMs = this.o.clock.nowMs();
      this.o.say(`waiting for ${this.cfg.nodes.length} node(s) to be Ready ...`);
    }
    const { nodes } = await readApi(this.cfg, this.access, false);
    for (const n of this.cfg.nodes) {
      const ready = nodes?.get(n.name)?.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True' && !this.said.has(n.name)) {
        this.said.add(n.name);
        this.o.say(`node ${n.name} Ready (${n.role}, ${n.runtime} runtime) after ` +
          `${(this.sinceMs() / 1000).toFixed(1)} s`);
      }
    }
    return this.done;
  }

  /** notReadyError: the error up fails with when the nodes are not Ready in time. */
  notReadyError(timeoutMs: number): SupervisorError {
    const missing = this.cfg.nodes.filter((n) => !this.said.has(n.name)).map((n) => n.name);
    return new SupervisorError(`node(s) ${missing.join(', ')} not Ready within ${timeoutMs} ms; ` +
      'see their kubelet logs (k8ts logs <node>/kubelet)');
  }
}
