/**
 * Pod defaulting as kube-apiserver does it (SetDefaults_PodSpec, _Container, _Probe, _Volume...),
 * plus, for pods themselves (not templates), what the default admission plugins add:
 * ServiceAccount ("default"), Priority (0) and DefaultTolerationSeconds (not-ready and
 * unreachable NoExecute for 300 s). kubectl's describe and get -o yaml show these fields, and the
 * kubelet and scheduler rely on them being there. Every function is idempotent.
 */
import { parseQuantity } from '../../validation/quantity.js';
import type { Volume } from './volume-types.js';
import type {
  Container,
  HTTPGetAction,
  LifecycleHandler,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  Toleration,
} from './pod-types.js';

/** DEFAULT_FILE_MODE is 0644, the default mode of files projected from configMaps and secrets. */
const DEFAULT_FILE_MODE = 0o644;
/** DEFAULT_TOLERATION_SECONDS: how long a pod stays bound to an unready node before eviction. */
const DEFAULT_TOLERATION_SECONDS = 300;

/** imageTag returns the tag of an image reference, "latest" when it has neither tag nor digest. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon >= 0) return lastSegment.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function defaultHttpGet(h: HTTPGetAction | undefined): void {
  if (!h) return;
  h.path ??= '/';
  h.scheme ??= 'HTTP';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  defaultHttpGet(p.httpGet);
}

function defaultLifecycleHandler(h: LifecycleHandler | undefined): void {
  defaultHttpGet(h?.httpGet);
}

/**
 * defaultRequestsFromLimits: a limit without a request makes the request equal to the limit
 * (SetDefaults_Pod), which is what makes a limits-only pod Guaranteed.
 */
function defaultRequestsFromLimits(c: Container): void {
  const limits = c.resources?.limits;
  if (!limits || !c.resources) return;
  for (const [name, q] of Object.entries(limits)) {
    // An unparseable limit is reported once, at the limit, rather than copied into requests.
    if (typeof parseQuantity(q) === 'string') continue;
    c.resources.requests ??= {};
    if (c.resources.requests[name] === undefined) c.resources.requests[name] = q;
  }
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  c.imagePullPolicy ??= imageTag(c.image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of c.ports ?? []) {
    p.protocol ??= 'TCP';
    // With the host's network the container port is the host port.
    if (hostNetwork && p.hostPort === undefined) p.hostPort = p.containerPort;
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultLifecycleHandler(c.lifecycle?.postStart);
  defaultLifecycleHandler(c.lifecycle?.preStop);
  defaultRequestsFromLimits(c);
}

function defaultVolume(v: Volume): void {
  const hasSource = Object.keys(v).some((k) => k !== 'name');
  if (!hasSource) v.emptyDir = {};
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_FILE_MODE;
  if (v.secret) v.secret.defaultMode ??= DEFAULT_FILE_MODE;
  if (v.downwardAPI) v.downwardAPI.defaultMode ??= DEFAULT_FILE_MODE;
  if (v.projected) v.projected.defaultMode ??= DEFAULT_FILE_MODE;
  if (v.hostPath) v.hostPath.type ??= '';
  for (const item of v.downwardAPI?.items ?? []) {
    if (item.fieldRef) item.fieldRef.apiVersion ??= 'v1';
  }
  for (const src of v.projected?.sources ?? []) {
    if (src.serviceAccountToken) src.serviceAccountToken.expirationSeconds ??= 3600;
    for (const item of src.downwardAPI?.items ?? []) {
      if (item.fieldRef) item.fieldRef.apiVersion ??= 'v1';
    }
  }
}

/** defaultPodSpec fills a pod spec's defaults in place (pods and pod templates alike). */
export function defaultPodSpec(spec: PodSpec): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  if (spec.serviceAccount && !spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of spec.initContainers ?? []) defaultContainer(c, hostNetwork);
  for (const c of spec.containers ?? []) defaultContainer(c, hostNetwork);
  for (const v of spec.volumes ?? []) defaultVolume(v);
  for (const t of spec.tolerations ?? []) {
    if (t.operator === undefined) t.operator = 'Equal';
  }
}

/** defaultPodTemplate fills a workload's pod template (no admission defaults: those are per pod). */
export function defaultPodTemplate(t: PodTemplateSpec | undefined): void {
  if (!t) return;
  t.metadata ??= {};
  if (t.metadata.creationTimestamp === undefined) t.metadata.creationTimestamp = null;
  if (t.spec) defaultPodSpec(t.spec);
}

const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';

/** tolerates: the toleration covers the NoExecute taint `key` (as toleration.ToleratesTaint). */
function tolerates(t: Toleration, key: string): boolean {
  if (t.effect && t.effect !== 'NoExecute') return false;
  if ((t.key ?? '') === '') return t.operator === 'Exists';
  return t.key === key && (t.operator === 'Exists' || (t.value ?? '') === '');
}

function addNoExecuteToleration(spec: PodSpec, key: string): void {
  const list = spec.tolerations ?? [];
  if (list.some((t) => tolerates(t, key))) return;
  const t: Toleration = {
    key,
    operator: 'Exists',
    effect: 'NoExecute',
    tolerationSeconds: DEFAULT_TOLERATION_SECONDS,
  };
  spec.tolerations = [...list, t];
}

/** defaultPod fills a Pod: spec defaults, then the admission plugins' additions. */
export function defaultPod(pod: Pod): void {
  pod.spec ??= { containers: [] };
  const spec = pod.spec;
  defaultPodSpec(spec);
  spec.serviceAccountName ||= 'default';
  spec.serviceAccount = spec.serviceAccountName;
  if (spec.priority === undefined && !spec.priorityClassName) spec.priority = 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  addNoExecuteToleration(spec, NOT_READY);
  addNoExecuteToleration(spec, UNREACHABLE);
}
