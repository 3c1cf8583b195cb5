/**
 * Convergence: what a healed cluster must reach in the liveness phase, read straight from the
 * store (never from a component's cache). Each check returns the first few unmet conditions as
 * sentences; an empty list means the cluster has converged.
 *
 * - every ReplicaSet (and every Deployment, when the deployment controller runs) has exactly
 *   spec.replicas active pods, all Ready, on live nodes, and its status says so;
 * - every pod is bound to a live node and nothing is stuck terminating;
 * - every Service with a selector has Endpoints listing exactly its ready pods' IPs;
 * - every node is Ready; with the garbage collector running, no pod outlives its owner.
 */
import type { KubeObject } from '../../api/meta.js';
import { RESOURCES, storagePrefix } from '../../api/resources.js';
import type { Storage } from '../../apiserver/storage/types.js';

/** PROBLEMS_MAX: sentences reported per check (the first say enough). */
const PROBLEMS_MAX = 8;

/** ConvergenceInput: the store and what the cluster should look like. */
export interface ConvergenceInput {
  storage: Storage;
  liveNodes: ReadonlySet<string>;
  /** The controller names running (checks of absent controllers are skipped). */
  controllers: ReadonlySet<string>;
}

interface PodView {
  obj: KubeObject;
  ns: string;
  name: string;
  nodeName: string;
  labels: Record<string, string>;
  owner: string | undefined;
  ready: boolean;
  terminating: boolean;
  podIP: string | undefined;
}

/** unconverged lists what is not yet as it must be (empty: converged). */
export async function unconverged(c: ConvergenceInput): Promise<string[]> {
  const read = async (resource: string): Promise<KubeObject[]> => {
    const r = RESOURCES.find((x) => x.resource === resource);
    if (r === undefined) return [];
    return (await c.storage.list(storagePrefix(r), {})).items;
  };
  const pods = (await read('pods')).map(podView);
  const problems: string[] = [];
  const uids = new Set<string>();
  for (const kind of ['replicasets', 'deployments', 'services', 'nodes']) {
    for (const o of await read(kind)) uids.add(o.metadata.uid ?? '');
  }
  checkPods(pods, c, uids, problems);
  checkReplicaSets(await read('replicasets'), pods, problems);
  if (c.controllers.has('deployment')) checkDeployments(await read('deployments'), problems);
  if (c.controllers.has('endpoint')) {
    checkEndpoints(await read('services'), await read('endpoints'), pods, problems);
  }
  checkNodes(await read('nodes'), c.liveNodes, problems);
  return problems.slice(0, PROBLEMS_MAX);
}

function checkPods(pods: PodView[], c: ConvergenceInput, uids: Set<string>, out: string[]): void {
  for (const p of pods) {
    const id = `pod ${p.ns}/${p.name}`;
    if (p.nodeName === '') out.push(`${id} is not bound`);
    else if (!c.liveNodes.has(p.nodeName)) out.push(`${id} is on ${p.nodeName}, not a live node`);
    if (p.terminating) out.push(`${id} is stuck terminating on ${p.nodeName || 'no node'}`);
    if (p.owner !== undefined && c.controllers.has('garbagecollector') && !uids.has(p.owner)) {
      out.push(`${id} outlived its owner ${p.owner}`);
    }
  }
}

function checkReplicaSets(sets: KubeObject[], pods: PodView[], out: string[]): void {
  for (const rs of sets) {
    const id = `ReplicaSet ${rs.metadata.namespace ?? ''}/${rs.metadata.name ?? ''}`;
    const want = replicasOf(rs);
    const mine = pods.filter((p) => p.owner === rs.metadata.uid && !p.terminating);
    const ready = mine.filter((p) => p.ready).length;
    if (mine.length !== want) out.push(`${id} has ${mine.length} pods, wants ${want}`);
    else if (ready !== want) out.push(`${id} has ${ready} ready pods of ${want}`);
    const st = (rs.status ?? {}) as { replicas?: number; readyReplicas?: number;
      observedGeneration?: number };
    if ((st.observedGeneration ?? 0) < (rs.metadata.generation ?? 0)) {
      out.push(`${id}'s status has not observed generation ${rs.metadata.generation ?? 0}`);
    } else if ((st.replicas ?? 0) !== want || (st.readyReplicas ?? 0) !== want) {
      out.push(`${id}'s status says ${st.replicas ?? 0} pods, ${st.readyReplicas ?? 0} ready; ` +
        `wants ${want}`);
    }
  }
}

function checkDeployments(deployments: KubeObject[], out: string[]): void {
  for (const d of deployments) {
    const id = `Deployment ${d.metadata.namespace ?? ''}/${d.metadata.name ?? ''}`;
    const want = replicasOf(d);
    const st = (d.status ?? {}) as { replicas?: number; readyReplicas?: number;
      updatedReplicas?: number; availableReplicas?: number; observedGeneration?: number };
    const fields = [st.replicas, st.readyReplicas, st.updatedReplicas, st.availableReplicas];
    if ((st.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
      out.push(`${id}'s status has not observed generation ${d.metadata.generation ?? 0}`);
    } else if (fields.some((v) => (v ?? 0) !== want)) {
      out.push(`${id} status replicas/ready/updated/available ${fields.map((v) => v ?? 0)
        .join('/')}, wants ${want}`);
    }
  }
}

function checkEndpoints(services: KubeObject[], endpoints: KubeObject[], pods: PodView[],
  out: string[]): void {
  for (const svc of services) {
    const ns = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    const selector = ((svc.spec ?? {}) as { selector?: Record<string, string> }).selector;
    if (selector === undefined || Object.keys(selector).length === 0) continue;
    const want = pods.filter((p) => p.ns === ns && p.ready && !p.terminating &&
      p.podIP !== undefined && matches(selector, p.labels)).map((p) => p.podIP ?? '').sort();
    const ep = endpoints.find((e) => e.metadata.namespace === ns && e.metadata.name === name);
    const subsets = ((ep ?? {}) as { subsets?: { addresses?: { ip: string }[];
      notReadyAddresses?: { ip: string }[] }[] }).subsets ?? [];
    const have = subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
    const notReady = subsets.flatMap((s) => s.notReadyAddresses ?? []).length;
    if (ep === undefined) out.push(`Service ${ns}/${name} has no Endpoints`);
    else if (have.join() !== want.join() || notReady > 0) {
      out.push(`Endpoints ${ns}/${name} list [${have.join(', ')}] (${notReady} not ready), ` +
        `ready pods are [${want.join(', ')}]`);
    }
  }
}

function checkNodes(nodes: KubeObject[], live: ReadonlySet<string>, out: string[]): void {
  for (const n of nodes) {
    const name = n.metadata.name ?? '';
    if (!live.has(name)) continue;
    const conditions = ((n.status ?? {}) as { conditions?: { type: string; status: string }[] })
      .conditions ?? [];
    if (conditions.find((c) => c.type === 'Ready')?.status !== 'True') {
      out.push(`node ${name} is not Ready`);
    }
    const taints = ((n.spec ?? {}) as { taints?: { key: string }[] }).taints ?? [];
    if (taints.length > 0) out.push(`node ${name} still has taints ${taints.map((t) => t.key)}`);
  }
}

function podView(obj: KubeObject): PodView {
  const spec = (obj.spec ?? {}) as { nodeName?: string };
  const status = (obj.status ?? {}) as { phase?: string; podIP?: string;
    conditions?: { type: string; status: string }[] };
  const ready = status.phase === 'Running' &&
    (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  return {
    obj,
    ns: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
    nodeName: spec.nodeName ?? '',
    labels: obj.metadata.labels ?? {},
    owner: (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true)?.uid,
    ready,
    terminating: obj.metadata.deletionTimestamp !== undefined,
    podIP: status.podIP,
  };
}

function replicasOf(obj: KubeObject): number {
  return ((obj.spec ?? {}) as { replicas?: number }).replicas ?? 1;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
