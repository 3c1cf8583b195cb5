/**
 * The CRI's list filters, one meaning for every runtime k8ts serves: every set field of a filter
 * must match (AND), an empty filter matches everything, ids match by prefix (containerd resolves
 * truncated ids, so `crictl ps --id 3f2a` works), and a label selector matches when each of its
 * pairs is among the object's labels (exact equality, as containerd and CRI-O do).
 */
import type {
  ContainerFilter, ContainerStatsFilter, ContainerState, PodSandboxFilter, PodSandboxState,
} from '../gen/cri/runtime/v1/api.js';

/** What a sandbox filter looks at. */
export interface SandboxFacts {
  id: string;
  state: PodSandboxState;
  labels: Readonly<Record<string, string>>;
}

/** What a container (or container stats) filter looks at. */
export interface ContainerFacts {
  id: string;
  podSandboxId: string;
  state: ContainerState;
  labels: Readonly<Record<string, string>>;
}

/** labelsMatch: every pair of the selector is among the labels. */
export function labelsMatch(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [k, v] of Object.entries(selector ?? {})) if (labels[k] !== v) return false;
  return true;
}

/** sandboxMatches applies ListPodSandbox's filter. */
export function sandboxMatches(f: PodSandboxFilter | undefined, s: SandboxFacts): boolean {
  if (f === undefined) return true;
  if (f.id !== '' && !s.id.startsWith(f.id)) return false;
  if (f.state !== undefined && f.state.state !== s.state) return false;
  return labelsMatch(f.labelSelector, s.labels);
}

/** containerMatches applies ListContainers' filter. */
export function containerMatches(f: ContainerFilter | undefined, c: ContainerFacts): boolean {
  if (f === undefined) return true;
  if (f.id !== '' && !c.id.startsWith(f.id)) return false;
  if (f.podSandboxId !== '' && !c.podSandboxId.startsWith(f.podSandboxId)) return false;
  if (f.state !== undefined && f.state.state !== c.state) return false;
  return labelsMatch(f.labelSelector, c.labels);
}

/** statsMatch applies ListContainerStats' filter (no state: stats of any container). */
export function statsMatch(f: ContainerStatsFilter | undefined, c: ContainerFacts): boolean {
  if (f === undefined) return true;
  if (f.id !== '' && !c.id.startsWith(f.id)) return false;
  if (f.podSandboxId !== '' && !c.podSandboxId.startsWith(f.podSandboxId)) return false;
  return labelsMatch(f.labelSelector, c.labels);
}
