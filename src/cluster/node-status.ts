/**
 * What `k8ts up` waits for and `k8ts status` shows of the nodes: each node's processes (runtime,
 * kubelet, kube-proxy) and what the API says of it — the Ready condition, the kubelet and runtime versions,
 * how many pods it runs. Read over HTTPS as the admin from any API server that answers.
 */
import type { Clock } from '../base/clock.js';
import { adminGetJson, type ApiAccess } from './api-access.js';
import type { ClusterConfig } from './config.js';
import { sleep } from './member-client.js';
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

/** WaitOptions: how long to wait, where to report progress, and how to notice a dead node
 *  process (its log tail), so up fails fast instead of waiting out the timeout. */
export interface WaitOptions {
  clock: Clock;
  timeoutMs: number;
  say(line: string): void;
  dead(): string | undefined;
}

/** waitForNodesReady polls the Node objects until every configured node is Ready, saying each
 *  one as it turns Ready. */
export async function waitForNodesReady(cfg: ClusterConfig, access: ApiAccess, o: WaitOptions): Promise<void> {
  const startMs = o.clock.nowMs();
  const said = new Set<string>();
  o.say(`waiting for ${cfg.nodes.length} node(s) to be Ready ...`);
  for (;;) {
    const { nodes } = await readApi(cfg, access, false);
    for (const n of cfg.nodes) {
      const ready = nodes?.get(n.name)?.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True' && !said.has(n.name)) {
        said.add(n.name);
        o.say(`node ${n.name} Ready (${n.role}, ${n.runtime} runtime) after ${((o.clock.nowMs() - startMs) / 1000).toFixed(1)} s`);
      }
    }
    if (said.size === cfg.nodes.length) return;
    const dead = o.dead();
    if (dead !== undefined) throw new SupervisorError(dead);
    if (o.clock.nowMs() - startMs > o.timeoutMs) {
      const missing = cfg.nodes.filter((n) => !said.has(n.name)).map((n) => n.name);
      throw new SupervisorError(`node(s) ${missing.join(', ')} not Ready within ${o.timeoutMs} ms; ` +
        'see their kubelet logs (k8ts logs <node>/kubelet)');
    }
    await sleep(o.clock, 200);
  }
}
