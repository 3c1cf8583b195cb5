/**
 * tracedCri: a diagnostic CriRuntime that stamps every call (stage "kl.cri.<method>") under the
 * "namespace/name" of the pod it is for, so a burst's timeline (src/base/timeline.ts,
 * bench/lib/burst-timeline.ts) counts the CRI calls a pod start cost by method, in every run,
 * without a patched kubelet. The kubelet wraps its client only while the timeline is on.
 *
 * Which pod a call is for: RunPodSandbox, CreateContainer and PullImage carry the pod's metadata;
 * the ids they answer are remembered, so later calls naming a sandbox or container id find it.
 * Calls for no pod (the node's relist, a shared ImageStatus, Version) are stamped under
 * "node/-". Memory is bounded: at most IDS_MAX ids, the oldest forgotten first (its calls are
 * then stamped as the node's).
 */
import {
  CRI_IMAGE_METHODS, CRI_RUNTIME_METHODS, type CriRuntime, type PodSandboxMetadata,
} from './types.js';

/** Ids remembered at most (a node keeps a few hundred pods of a few instances each). */
export const IDS_MAX = 4_096;

/** The key of calls for no particular pod. */
export const NODE_KEY = 'node/-';

type Stamp = (stage: string, key: string) => void;
type AnyCall = (req: unknown) => Promise<unknown>;

/** What a request or answer may name (the CRI messages' field names). */
interface Names {
  config?: { metadata?: Partial<PodSandboxMetadata> & { name: string } };
  sandboxConfig?: { metadata?: PodSandboxMetadata };
  podSandboxId?: string;
  containerId?: string;
}

/** tracedCri wraps cri; see the file comment. */
export function tracedCri<T extends CriRuntime>(cri: T, stamp: Stamp): T {
  const pods = new Map<string, string>();
  const remember = (id: string | undefined, key: string): void => {
    if (id === undefined || id === '' || key === NODE_KEY) return;
    if (pods.size >= IDS_MAX) {
      const oldest = pods.keys().next().value;
      if (oldest !== undefined) pods.delete(oldest);
    }
    pods.set(id, key);
  };
  const keyOf = (req: Names): string => {
    // A ContainerConfig's metadata names the container (no namespace): the sandbox's wins.
    const sandboxMeta = req.config?.metadata?.namespace !== undefined ? req.config.metadata
      : undefined;
    const m = req.sandboxConfig?.metadata ?? sandboxMeta;
    if (m !== undefined) return `${m.namespace}/${m.name}`;
    const id = req.containerId ?? req.podSandboxId;
    return (id !== undefined ? pods.get(id) : undefined) ?? NODE_KEY;
  };
  const out = Object.create(cri) as T;
  for (const name of [...CRI_RUNTIME_METHODS, ...CRI_IMAGE_METHODS]) {
    const call = (cri[name] as unknown as AnyCall).bind(cri);
    (out as unknown as Record<string, AnyCall>)[name] = async (req: unknown) => {
      const key = keyOf((req ?? {}) as Names);
      stamp(`kl.cri.${name}`, key);
      const res = (await call(req)) as Names | undefined;
      remember(res?.podSandboxId, key);
      remember(res?.containerId, key);
      if (name === 'removeContainer' || name === 'removePodSandbox') {
        const r = req as Names;
        pods.delete(r.containerId ?? r.podSandboxId ?? '');
      }
      return res;
    };
  }
  // The client's close() runs on the client itself, not on the wrapper.
  const close = (cri as { close?: () => void }).close;
  if (typeof close === 'function') (out as { close?: () => void }).close = close.bind(cri);
  return out;
}
