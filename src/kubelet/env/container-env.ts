/**
 * A container's environment, by Kubernetes' rules (the kubelet's makeEnvironmentVariables):
 * envFrom sources first, in order, with their prefix (keys that are not valid variable names
 * are skipped and reported); then env entries in order, each value $(VAR)-expanded against the
 * variables defined so far and the service variables; then the service variables nobody
 * overrode. A missing ConfigMap/Secret or key that is not optional fails the container with
 * CreateContainerConfigError, as upstream. Pure: lookups are passed in.
 */
import type { ResourceList } from '../../api/core/v1/common-types.js';
import type { ConfigMap, Secret } from '../../api/core/v1/config.js';
import type { Container, EnvFromSource, EnvVar, Pod } from '../../api/core/v1/pod-types.js';
import type { Service } from '../../api/core/v1/service.js';
import { DownwardError, podFieldValue, resourceFieldValue, type PodRuntimeFacts } from
  './downward.js';
import { expand } from './expand.js';
import { serviceEnv, type Var } from './service-env.js';

/** EnvLookups: the objects env may read, from the pod's namespace (and the Services). */
export interface EnvLookups {
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
  /** Every Service the kubelet knows (any namespace; servicesForPod picks). */
  services: readonly Service[];
  facts: PodRuntimeFacts;
  /** The node's allocatable: limits a container leaves unset. */
  allocatable: ResourceList;
}

/** EnvConfigError: the container cannot be configured (reason CreateContainerConfigError). */
export class EnvConfigError extends Error {
  override name = 'EnvConfigError';
  readonly reason = 'CreateContainerConfigError';
}

/** EnvResult: the variables, and warnings for keys envFrom skipped. */
export interface EnvResult {
  env: Var[];
  /** e.g. "Keys [1bad] from the EnvFrom configMap default/cfg were skipped since they are
   *  considered invalid environment variable names." (event InvalidEnvironmentVariableNames) */
  warnings: string[];
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** containerEnv computes one container's environment; throws EnvConfigError. */
export function containerEnv(pod: Pod, c: Container, l: EnvLookups): EnvResult {
  const ns = pod.metadata.namespace ?? '';
  const services = serviceEnv(l.services, ns, pod.spec?.enableServiceLinks ?? true);
  const serviceMap = new Map(services.map((v) => [v.name, v.value]));
  const env = new Map<string, string>();
  const warnings: string[] = [];
  for (const from of c.envFrom ?? []) warnings.push(...addEnvFrom(env, from, ns, l));
  const lookup = (name: string): string | undefined => env.get(name) ?? serviceMap.get(name);
  for (const v of c.env ?? []) {
    // An optional reference that is missing leaves the variable out, as upstream.
    const value = envValue(pod, c, v, lookup, l);
    if (value !== undefined) env.set(v.name, value);
  }
  for (const s of services) if (!env.has(s.name)) env.set(s.name, s.value);
  return { env: [...env].map(([name, value]) => ({ name, value })), warnings };
}

/** addEnvFrom adds one envFrom source's keys; returns a warning for invalid keys. */
function addEnvFrom(env: Map<string, string>, from: EnvFromSource, ns: string,
  l: EnvLookups): string[] {
  const prefix = from.prefix ?? '';
  let kind: 'configMap' | 'secret';
  let data: Record<string, string>;
  let name: string;
  if (from.configMapRef !== undefined) {
    kind = 'configMap';
    name = from.configMapRef.name ?? '';
    const cm = l.configMap(name);
    if (cm === undefined) {
      if (from.configMapRef.optional === true) return [];
      throw new EnvConfigError(`configmap "${name}" not found`);
    }
    data = cm.data ?? {};
  } else if (from.secretRef !== undefined) {
    kind = 'secret';
    name = from.secretRef.name ?? '';
    const s = l.secret(name);
    if (s === undefined) {
      if (from.secretRef.optional === true) return [];
      throw new EnvConfigError(`secret "${name}" not found`);
    }
    data = decodeSecretData(s);
  } else {
    return [];
  }
  const invalid: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    const key = prefix + k;
    if (!ENV_NAME.test(key)) invalid.push(k);
    else env.set(key, v);
  }
  if (invalid.length === 0) return [];
  return [`Keys [${invalid.sort().join(', ')}] from the EnvFrom ${kind} ${ns}/${name} were ` +
    'skipped since they are considered invalid environment variable names.'];
}

/** decodeSecretData: a Secret's data is base64 on the wire; env gets the bytes as text. */
export function decodeSecretData(s: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64')
    .toString('utf8');
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = v;
  return out;
}

function envValue(pod: Pod, c: Container, v: EnvVar,
  lookup: (name: string) => string | undefined, l: EnvLookups): string | undefined {
  if (v.valueFrom === undefined) return expand(v.value ?? '', lookup);
  const from = v.valueFrom;
  const ns = pod.metadata.namespace ?? '';
  try {
    if (from.fieldRef !== undefined) return podFieldValue(pod, from.fieldRef.fieldPath, l.facts);
    if (from.resourceFieldRef !== undefined) {
      const r = from.resourceFieldRef;
      return resourceFieldValue(pod, r.containerName || c.name, r.resource, r.divisor,
        l.allocatable);
    }
  } catch (e) {
    if (e instanceof DownwardError) throw new EnvConfigError(e.message);
    throw e;
  }
  if (from.configMapKeyRef !== undefined) {
    const ref = from.configMapKeyRef;
    const cm = l.configMap(ref.name ?? '');
    return keyValue(cm?.data, cm !== undefined, ref, 'configmap', 'ConfigMap', ns);
  }
  if (from.secretKeyRef !== undefined) {
    const ref = from.secretKeyRef;
    const s = l.secret(ref.name ?? '');
    const data = s === undefined ? undefined : decodeSecretData(s);
    return keyValue(data, s !== undefined, ref, 'secret', 'Secret', ns);
  }
  return '';
}

/** keyValue: data[key], or undefined when optional and missing, or the upstream error. */
function keyValue(
  data: Record<string, string> | undefined,
  exists: boolean,
  ref: { name?: string; key: string; optional?: boolean },
  lower: string,
  kind: string,
  ns: string,
): string | undefined {
  const optional = ref.optional === true;
  if (!exists) {
    if (optional) return undefined;
    throw new EnvConfigError(`${lower} "${ref.name ?? ''}" not found`);
  }
  const v = data?.[ref.key];
  if (v !== undefined) return v;
  if (optional) return undefined;
  throw new EnvConfigError(`couldn't find key ${ref.key} in ${kind} ${ns}/${ref.name ?? ''}`);
}
