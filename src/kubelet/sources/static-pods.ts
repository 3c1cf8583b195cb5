/**
 * Static pods: pods a kubelet runs from files in its manifest directory, with or without an API
 * server (that is how kubeadm's control plane starts). One pod per file, YAML or JSON. As
 * upstream, a static pod is named "<name>-<nodeName>", lives in its manifest's namespace
 * ("default" when none), gets a uid derived from its content, node and file (so an edited file is
 * a new pod, and an unchanged file the same pod after a restart), the annotations
 * kubernetes.io/config.source=file and kubernetes.io/config.hash=<uid>, and tolerates every
 * NoExecute taint. Its face in the API is a mirror pod (mirror.ts). Pure.
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { defaultPodSpec } from '../../api/core/v1/pod-defaults.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import { isJsonObject, type KubeObject } from '../../api/meta.js';

/** Annotation keys (upstream's kubetypes). */
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';

/** MANIFEST_MAX_BYTES bounds one manifest file (a pod, not a bundle). */
export const MANIFEST_MAX_BYTES = 1024 * 1024;

/** ManifestError: a file that is not one valid pod (logged with the file name, skipped). */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** isManifestFile: which directory entries are manifests (dot files are ignored, as upstream). */
export function isManifestFile(name: string): boolean {
  return !name.startsWith('.') && /\.(ya?ml|json)$/i.test(name);
}

/** parseManifest reads one manifest's text into a Pod object (not yet a static pod). */
export function parseManifest(text: string, file: string): Pod {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ManifestError(`${file}: not YAML or JSON: ${e instanceof Error ? e.message : e}`);
  }
  if (!isJsonObject(doc)) throw new ManifestError(`${file}: not an object`);
  const obj = doc as unknown as KubeObject;
  if (obj.kind !== undefined && obj.kind !== 'Pod') {
    throw new ManifestError(`${file}: kind ${String(obj.kind)} is not Pod`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== 'v1') {
    throw new ManifestError(`${file}: apiVersion ${String(obj.apiVersion)} is not v1`);
  }
  if (!isJsonObject(obj.metadata) || typeof obj.metadata.name !== 'string' ||
    obj.metadata.name === '') {
    throw new ManifestError(`${file}: metadata.name is required`);
  }
  const pod = obj as Pod;
  if (!isJsonObject(pod.spec) || !Array.isArray(pod.spec.containers) ||
    pod.spec.containers.length === 0) {
    throw new ManifestError(`${file}: spec.containers must list at least one container`);
  }
  return pod;
}

/**
 * staticPodFrom turns a parsed manifest into the static pod the kubelet runs: named, placed,
 * defaulted and hashed as upstream's file source does.
 */
export function staticPodFrom(parsed: Pod, nodeName: string, file: string): Pod {
  const pod = structuredClone(parsed);
  const m = pod.metadata;
  const uid = m.uid !== undefined && m.uid !== '' ? m.uid : staticPodHash(parsed, nodeName, file);
  pod.apiVersion = 'v1';
  pod.kind = 'Pod';
  m.uid = uid;
  m.name = `${m.name ?? ''}-${nodeName.toLowerCase()}`;
  m.namespace = m.namespace !== undefined && m.namespace !== '' ? m.namespace : 'default';
  m.annotations = { ...m.annotations, [CONFIG_HASH_ANNOTATION]: uid,
    [CONFIG_SOURCE_ANNOTATION]: 'file' };
  delete m.resourceVersion;
  const spec = pod.spec ?? { containers: [] };
  pod.spec = spec;
  spec.nodeName = nodeName;
  defaultPodSpec(spec);
  const tolerations = spec.tolerations ?? [];
  if (!tolerations.some((t) => t.operator === 'Exists' && t.effect === 'NoExecute' && !t.key)) {
    spec.tolerations = [...tolerations, { operator: 'Exists', effect: 'NoExecute' }];
  }
  pod.status = { phase: 'Pending' };
  return pod;
}

/** staticPodHash: 32 hex digits over the manifest's content, the node and the file (upstream
 *  hashes the same three with md5). */
export function staticPodHash(parsed: Pod, nodeName: string, file: string): string {
  return createHash('sha256').update(canonicalJson(parsed)).update(`host:${nodeName}`)
    .update(`file:${file}`).digest('hex').slice(0, 32);
}

/** canonicalJson: JSON with sorted keys, so key order in the file does not change the hash. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** isStaticPod: the pod came from a file (config.source other than "api"). */
export function isStaticPod(pod: Pod): boolean {
  const src = pod.metadata.annotations?.[CONFIG_SOURCE_ANNOTATION];
  return src !== undefined && src !== 'api';
}

/** isMirrorPod: an API pod that only stands for a static pod. */
export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined;
}

/** fullName: "<namespace>/<name>", how static and mirror pods find each other. */
export function fullName(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/**
 * mirrorPodFor: the API object standing for a static pod — the same metadata and spec, the
 * config.mirror annotation carrying the static pod's hash, owned by the Node (so it goes with
 * the node), and no uid (the API assigns one).
 */
export function mirrorPodFor(staticPod: Pod, node: { name: string; uid: string }): Pod {
  const pod = structuredClone(staticPod);
  const m = pod.metadata;
  const hash = m.annotations?.[CONFIG_HASH_ANNOTATION] ?? m.uid ?? '';
  delete m.uid;
  delete m.resourceVersion;
  m.annotations = { ...m.annotations, [CONFIG_MIRROR_ANNOTATION]: hash };
  m.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid,
    controller: true }];
  delete pod.status;
  return pod;
}

/** mirrorMatches: the mirror pod stands for this version of the static pod (same hash) and is
 *  not being deleted; otherwise it must be replaced. */
export function mirrorMatches(mirror: Pod, staticPod: Pod): boolean {
  const want = staticPod.metadata.annotations?.[CONFIG_HASH_ANNOTATION];
  return mirror.metadata.deletionTimestamp === undefined &&
    mirror.metadata.annotations?.[CONFIG_MIRROR_ANNOTATION] === want;
}
