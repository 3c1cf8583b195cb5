/**
 * Where a pod's streaming subresource goes: validate the request against the pod (upstream's
 * LogLocation/streamLocation rules and messages), find its node's kubelet (InternalIP +
 * daemonEndpoints.kubeletEndpoint.Port) and build the kubelet URL. Pure over the pod and node.
 */
import { badRequest } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';

/** The kubelet's port when the Node does not say (upstream's default). */
export const DEFAULT_KUBELET_PORT = 10250;

/** KubeletClientTls: the API server's client identity toward kubelets, and the CA they chain to. */
export interface KubeletClientTls {
  key: string | Buffer;
  cert: string | Buffer;
  ca: string | Buffer;
}

/** StreamingSubresource is one of the pod subresources served by the kubelet. */
export type StreamingSubresource = 'log' | 'exec' | 'attach' | 'portforward';

interface Named {
  name?: string;
}

interface PodSpecView {
  nodeName?: string;
  containers?: Named[];
  initContainers?: Named[];
  ephemeralContainers?: Named[];
}

/** containerNames lists every container of the pod: init, regular, ephemeral (upstream's order). */
function containerNames(spec: PodSpecView): string[] {
  const all = [
    ...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? []),
  ];
  return all.map((c) => c.name ?? '');
}

/** chooseContainer applies upstream's validateContainer: default a lone container, else ask. */
export function chooseContainer(pod: KubeObject, requested: string | null): string {
  const spec = (pod.spec ?? {}) as PodSpecView;
  const name = pod.metadata.name ?? '';
  if (requested) {
    if (!containerNames(spec).includes(requested)) {
      throw badRequest(`container ${requested} is not valid for pod ${name}`);
    }
    return requested;
  }
  const containers = spec.containers ?? [];
  if (containers.length === 1) return containers[0]?.name ?? '';
  if (containers.length === 0) throw badRequest(`pod ${name} does not have a container`);
  throw badRequest(`a container name must be specified for pod ${name}, choose one of: ` +
    `[${containerNames(spec).join(' ')}]`);
}

/** nodeNameOf is the pod's node, or undefined while it is unscheduled. */
export function nodeNameOf(pod: KubeObject): string | undefined {
  const n = (pod.spec as PodSpecView | undefined)?.nodeName;
  return n ? n : undefined;
}

/** requireNode is the node of a pod exec/attach/portforward needs (400 while unscheduled). */
export function requireNode(pod: KubeObject): string {
  const node = nodeNameOf(pod);
  if (!node) throw badRequest(`pod ${pod.metadata.name ?? ''} does not have a host assigned`);
  return node;
}

interface NodeStatusView {
  addresses?: { type?: string; address?: string }[];
  daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
}

/** kubeletHostPort is host:port of a Node's kubelet, or undefined when it has no address yet. */
export function kubeletHostPort(node: KubeObject): { host: string; port: number } | undefined {
  const status = (node.status ?? {}) as NodeStatusView;
  const addrs = status.addresses ?? [];
  const pick = (t: string): string | undefined =>
    addrs.find((a) => a.type === t && a.address)?.address;
  const host = pick('InternalIP') ?? pick('Hostname') ?? pick('ExternalIP');
  if (!host) return undefined;
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  return { host, port: port && port > 0 ? port : DEFAULT_KUBELET_PORT };
}

/** kubeletPath is the kubelet's path and query for a subresource request. */
export function kubeletPath(
  sub: StreamingSubresource,
  pod: KubeObject,
  container: string | undefined,
  query: URLSearchParams,
): string {
  const ns = encodeURIComponent(pod.metadata.namespace ?? 'default');
  const name = encodeURIComponent(pod.metadata.name ?? '');
  const q = new URLSearchParams(query);
  q.delete('container');
  const search = q.size > 0 ? `?${q.toString()}` : '';
  const c = encodeURIComponent(container ?? '');
  switch (sub) {
    case 'log':
      return `/containerLogs/${ns}/${name}/${c}${search}`;
    case 'exec':
      return `/exec/${ns}/${name}/${c}${search}`;
    case 'attach':
      return `/attach/${ns}/${name}/${c}${search}`;
    case 'portforward':
      return `/portForward/${ns}/${name}${search}`;
  }
}
