/**
 * Container validation (pkg/apis/core/validation: validateContainers and friends): names, image,
 * ports, env, resources, probes and mounts, with upstream's field paths and messages so a broken
 * manifest fails here exactly as on Kubernetes.
 */
import type { FieldError } from '../../errors.js';
import {
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  invalidEach,
  key,
  notFound,
  notSupported,
  required,
} from '../../validation/field.js';
import {
  nonNegative,
  validatePortNum,
  validatePortNumOrName,
  validateProtocol,
  validateQuantity,
} from '../../validation/common.js';
import {
  isConfigMapKey,
  isDns1123Label,
  isEnvVarName,
  isQualifiedName,
  isValidPortName,
} from '../../validation/names.js';
import { compareQuantities, type Quantity, quantityString } from '../../validation/quantity.js';
import type { ResourceList } from './common-types.js';
import type {
  Container,
  EnvFromSource,
  EnvVar,
  EnvVarSource,
  HTTPGetAction,
  LifecycleHandler,
  Probe,
  ResourceRequirements,
  VolumeMount,
} from './pod-types.js';

const PULL_POLICIES: readonly string[] = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES: readonly string[] = ['File', 'FallbackToLogsOnError'];
const ENV_FIELD_PATHS: readonly string[] = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const RESOURCE_FIELD_REFS: readonly string[] = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'storage', 'pods']);

/** ContainerContext is what a container's checks need to know about its pod. */
export interface ContainerContext {
  volumeNames: ReadonlySet<string>;
  hostNetwork: boolean;
  /** Init containers: probes and lifecycle only for sidecars (restartPolicy Always). */
  init: boolean;
}

/** validateFieldRef checks a downward-API field reference against the supported paths. */
export function validateFieldRef(
  ref: { apiVersion?: string; fieldPath?: string },
  path: string,
  supported: readonly string[],
): FieldError[] {
  if (!ref.fieldPath) return [required(child(path, 'fieldPath'))];
  if (!ref.apiVersion) return [required(child(path, 'apiVersion'))];
  const subscripted = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(ref.fieldPath);
  if (subscripted?.[2] !== undefined) {
    const keyErrs = isQualifiedName(subscripted[2].toLowerCase());
    return invalidEach(child(path, 'fieldPath'), ref.fieldPath, keyErrs);
  }
  if (supported.includes(ref.fieldPath)) return [];
  return [notSupported(child(path, 'fieldPath'), ref.fieldPath, supported)];
}

function validateKeyRef(ref: { name?: string; key?: string }, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref.key) errs.push(required(child(path, 'key')));
  else errs.push(...invalidEach(child(path, 'key'), ref.key, isConfigMapKey(ref.key)));
  if (!ref.name) errs.push(required(child(path, 'name')));
  return errs;
}

function validateValueFrom(ev: EnvVar, from: EnvVarSource, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  if (from.fieldRef) {
    n++;
    errs.push(...validateFieldRef(from.fieldRef, child(path, 'fieldRef'), ENV_FIELD_PATHS));
  }
  if (from.resourceFieldRef) {
    n++;
    const res = from.resourceFieldRef.resource;
    const p = child(child(path, 'resourceFieldRef'), 'resource');
    if (!res) errs.push(required(p));
    else if (!RESOURCE_FIELD_REFS.includes(res)) errs.push(notSupported(p, res,
      RESOURCE_FIELD_REFS));
  }
  if (from.configMapKeyRef) {
    n++;
    errs.push(...validateKeyRef(from.configMapKeyRef, child(path, 'configMapKeyRef')));
  }
  if (from.secretKeyRef) {
    n++;
    errs.push(...validateKeyRef(from.secretKeyRef, child(path, 'secretKeyRef')));
  }
  if (n === 0) {
    const why = 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`';
    return [invalid(path, '', why)];
  }
  if ((ev.value ?? '') !== '') errs.push(invalid(path, '',
    'may not be specified when `value` is not empty'));
  else if (n > 1) errs.push(invalid(path, '',
    'may not have more than one field specified at a time'));
  return errs;
}

function validateEnv(env: EnvVar[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (env ?? []).forEach((ev, i) => {
    const p = index(path, i);
    if (!ev.name) errs.push(required(child(p, 'name')));
    else errs.push(...invalidEach(child(p, 'name'), ev.name, isEnvVarName(ev.name)));
    if (ev.valueFrom) errs.push(...validateValueFrom(ev, ev.valueFrom, child(p, 'valueFrom')));
  });
  return errs;
}

function validateEnvFrom(list: EnvFromSource[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (list ?? []).forEach((src, i) => {
    const p = index(path, i);
    if (src.prefix) errs.push(...invalidEach(child(p, 'prefix'), src.prefix, isEnvVarName(
      src.prefix)));
    const refs = [src.configMapRef && 'configMapRef', src.secretRef && 'secretRef'].filter(
      (r): r is string => typeof r === 'string',
    );
    if (refs.length === 0) errs.push(invalid(p, '',
      'must specify one of: `configMapRef` or `secretRef`'));
    if (refs.length > 1) errs.push(invalid(p, '',
      'may not have more than one field specified at a time'));
    for (const r of refs) {
      const name = (src[r as 'configMapRef' | 'secretRef'] ?? {}).name;
      if (!name) errs.push(required(child(child(p, r), 'name')));
    }
  });
  return errs;
}

function validatePorts(c: Container, path: string, hostNetwork: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (c.ports ?? []).forEach((port, i) => {
    const p = index(path, i);
    if (port.name) {
      errs.push(...invalidEach(child(p, 'name'), port.name, isValidPortName(port.name)));
      if (names.has(port.name)) errs.push(duplicate(child(p, 'name'), port.name));
      names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(child(p, 'containerPort')));
    else errs.push(...validatePortNum(port.containerPort, child(p, 'containerPort')));
    if (port.hostPort) errs.push(...validatePortNum(port.hostPort, child(p, 'hostPort')));
    if (hostNetwork && port.hostPort !== undefined && port.hostPort !== port.containerPort) {
      errs.push(invalid(child(p, 'hostPort'), port.hostPort,
        'must match `containerPort` when `hostNetwork` is true'));
    }
    errs.push(...validateProtocol(port.protocol, child(p, 'protocol')));
  });
  return errs;
}

/** validateResourceName: standard names, hugepages-*, or domain-qualified extended resources. */
function validateResourceName(name: string, path: string): FieldError[] {
  const errs = invalidEach(path, name, isQualifiedName(name));
  if (errs.length > 0) return errs;
  if (STANDARD_RESOURCES.has(name) || name.startsWith('hugepages-') || name.includes(
    '/')) return [];
  return [invalid(path, name, 'must be a standard resource type or fully qualified')];
}

function parseList(list: ResourceList | undefined, path: string, errs: FieldError[]): Map<string,
  Quantity> {
  const out = new Map<string, Quantity>();
  for (const [name, raw] of Object.entries(list ?? {})) {
    errs.push(...validateResourceName(name, key(path, name)));
    const { errs: qErrs, q } = validateQuantity(raw, key(path, name));
    errs.push(...qErrs);
    if (q) out.set(name, q);
  }
  return out;
}

/** validateResources: valid names and quantities, and no request above its limit. */
export function validateResources(r: ResourceRequirements | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const limits = parseList(r?.limits, child(path, 'limits'), errs);
  const requests = parseList(r?.requests, child(path, 'requests'), errs);
  for (const [name, req] of requests) {
    const lim = limits.get(name);
    if (lim && compareQuantities(req, lim) > 0) {
      const why = `must be less than or equal to ${name} limit of ${quantityString(lim)}`;
      errs.push(invalid(child(path, 'requests'), quantityString(req), why));
    }
  }
  return errs;
}

function validateHttpGet(h: HTTPGetAction, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!h.path) errs.push(required(child(path, 'path')));
  errs.push(...validatePortNumOrName(h.port, child(path, 'port')));
  if (h.scheme !== 'HTTP' && h.scheme !== 'HTTPS') {
    errs.push(notSupported(child(path, 'scheme'), h.scheme ?? '', ['HTTP', 'HTTPS']));
  }
  return errs;
}

/** validateHandler: exactly one action, each well-formed (probes and lifecycle hooks). */
function validateHandler(h: Probe | LifecycleHandler, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const kinds = (['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] as const).filter(
    (k) => (h as Record<string, unknown>)[k] !== undefined,
  );
  if (kinds.length === 0) return [required(path, 'must specify a handler type')];
  for (const k of kinds.slice(1)) errs.push(forbidden(child(path, k),
    'may not specify more than 1 handler type'));
  if (h.exec && !(h.exec.command ?? []).length) errs.push(required(child(child(path, 'exec'),
    'command')));
  if (h.httpGet) errs.push(...validateHttpGet(h.httpGet, child(path, 'httpGet')));
  if (h.tcpSocket) errs.push(...validatePortNumOrName(h.tcpSocket.port, child(child(path,
    'tcpSocket'), 'port')));
  if ('grpc' in h && h.grpc) errs.push(...validatePortNum(h.grpc.port, child(child(path, 'grpc'),
    'port')));
  return errs;
}

function validateProbe(p: Probe | undefined, path: string,
  successMustBeOne: boolean): FieldError[] {
  if (!p) return [];
  const errs = validateHandler(p, path);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold',
    'failureThreshold'] as const) {
    errs.push(...nonNegative(p[f], child(path, f)));
  }
  if (successMustBeOne && p.successThreshold !== undefined && p.successThreshold !== 1) {
    errs.push(invalid(child(path, 'successThreshold'), p.successThreshold, 'must be 1'));
  }
  return errs;
}

function validateMounts(mounts: VolumeMount[] | undefined, path: string,
  volumes: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const p = index(path, i);
    if (!m.name) errs.push(required(child(p, 'name')));
    else if (!volumes.has(m.name)) errs.push(notFound(child(p, 'name'), m.name));
    if (!m.mountPath) errs.push(required(child(p, 'mountPath')));
    else if (paths.has(m.mountPath)) errs.push(invalid(child(p, 'mountPath'), m.mountPath,
      'must be unique'));
    if (m.mountPath) paths.add(m.mountPath);
    if (m.subPath) errs.push(...validateLocalDescendingPath(m.subPath, child(p, 'subPath')));
  });
  return errs;
}

/** validateLocalDescendingPath: a relative path that cannot climb out ("..") of its root. */
export function validateLocalDescendingPath(target: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(invalid(path, target, 'must be a relative path'));
  if (target.split('/').includes('..')) errs.push(invalid(path, target, "must not contain '..'"));
  return errs;
}

function validateProbes(c: Container, path: string, ctx: ContainerContext): FieldError[] {
  const sidecar = ctx.init && c.restartPolicy === 'Always';
  if (ctx.init && !sidecar) {
    const set = (['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const).filter((
      f) => c[f]);
    return set.map((f) => forbidden(child(path, f),
      'may not be set for init containers without restartPolicy=Always'));
  }
  const errs = [
    ...validateProbe(c.livenessProbe, child(path, 'livenessProbe'), true),
    ...validateProbe(c.readinessProbe, child(path, 'readinessProbe'), false),
    ...validateProbe(c.startupProbe, child(path, 'startupProbe'), true),
  ];
  if (c.lifecycle?.postStart) errs.push(...validateHandler(c.lifecycle.postStart, child(child(path,
    'lifecycle'), 'postStart')));
  if (c.lifecycle?.preStop) errs.push(...validateHandler(c.lifecycle.preStop, child(child(path,
    'lifecycle'), 'preStop')));
  return errs;
}

function validateRestartPolicy(c: Container, path: string, init: boolean): FieldError[] {
  if (c.restartPolicy === undefined) return [];
  const p = child(path, 'restartPolicy');
  if (!init) return [forbidden(p, 'may not be set for non-init containers')];
  return c.restartPolicy === 'Always' ? [] : [notSupported(p, c.restartPolicy, ['Always'])];
}

/** validateContainer checks one container at `path` (e.g. spec.containers[0]). */
export function validateContainer(c: Container, path: string, ctx: ContainerContext): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(child(path, 'name')));
  else errs.push(...invalidEach(child(path, 'name'), c.name, isDns1123Label(c.name)));
  if (!c.image) errs.push(required(child(path, 'image')));
  else if (c.image.trim() !== c.image) {
    errs.push(invalid(child(path, 'image'), c.image,
      'must not have leading or trailing whitespace'));
  }
  if (!c.imagePullPolicy) errs.push(required(child(path, 'imagePullPolicy')));
  else if (!PULL_POLICIES.includes(c.imagePullPolicy)) {
    errs.push(notSupported(child(path, 'imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
  }
  const tmp = c.terminationMessagePolicy;
  if (!tmp) errs.push(required(child(path, 'terminationMessagePolicy')));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) {
    errs.push(notSupported(child(path, 'terminationMessagePolicy'), tmp,
      TERMINATION_MESSAGE_POLICIES));
  }
  errs.push(...validateRestartPolicy(c, path, ctx.init));
  errs.push(...validatePorts(c, child(path, 'ports'), ctx.hostNetwork));
  errs.push(...validateEnv(c.env, child(path, 'env')));
  errs.push(...validateEnvFrom(c.envFrom, child(path, 'envFrom')));
  errs.push(...validateMounts(c.volumeMounts, child(path, 'volumeMounts'), ctx.volumeNames));
  errs.push(...validateProbes(c, path, ctx));
  errs.push(...validateResources(c.resources, child(path, 'resources')));
  return errs;
}

/** validateContainerList: required (for regular containers), each valid, names unique. */
export function validateContainerList(
  list: Container[] | undefined,
  path: string,
  ctx: ContainerContext,
  taken: Set<string>,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!ctx.init && (list ?? []).length === 0) return [required(path)];
  (list ?? []).forEach((c, i) => {
    const p = index(path, i);
    errs.push(...validateContainer(c, p, ctx));
    if (c.name && taken.has(c.name)) errs.push(duplicate(child(p, 'name'), c.name));
    if (c.name) taken.add(c.name);
  });
  return errs;
}
