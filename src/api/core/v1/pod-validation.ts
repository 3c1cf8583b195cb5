/**
 * Pod and pod-template validation (ValidatePodSpec, ValidatePodTemplateSpec, ValidatePodUpdate).
 * A pod's spec is nearly immutable: an update may change images, activeDeadlineSeconds (only
 * shorter), tolerations (only additions) and a negative grace period to 1; anything else gets
 * upstream's "pod updates may not change fields other than ..." Forbidden error.
 */
import type { FieldError } from '../../errors.js';
import { child, forbidden, invalid, invalidEach, notSupported, required } from '../../validation/field.js';
import { sameValue } from '../../validation/common.js';
import { validateLabels } from '../../validation/object-meta.js';
import { isDns1123Label, isDns1123Subdomain, inclusiveRangeError } from '../../validation/names.js';
import { validateContainerList } from './container-validation.js';
import type { PodSpec, PodTemplateSpec, Toleration } from './pod-types.js';
import { validateAffinity, validateTolerations, validateTopologySpread } from './scheduling-validation.js';
import { validateVolumes } from './volume-validation.js';
import { cloneJson } from '../../patch/json.js';

const RESTART_POLICIES: readonly string[] = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES: readonly string[] = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default',
  'None'];
const MAX_INT32 = 2147483647;

function validateDns(spec: PodSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const p = child(path, 'dnsPolicy');
  if (!spec.dnsPolicy) errs.push(required(p));
  else if (!DNS_POLICIES.includes(spec.dnsPolicy)) errs.push(notSupported(p, spec.dnsPolicy,
    DNS_POLICIES));
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig) {
    errs.push(required(child(path, 'dnsConfig'),
      'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  if (spec.hostname) errs.push(...invalidEach(child(path, 'hostname'), spec.hostname,
    isDns1123Label(spec.hostname)));
  if (spec.subdomain) errs.push(...invalidEach(child(path, 'subdomain'), spec.subdomain,
    isDns1123Label(spec.subdomain)));
  return errs;
}

function validateSpecScalars(spec: PodSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rp = child(path, 'restartPolicy');
  if (!spec.restartPolicy) errs.push(required(rp));
  else if (!RESTART_POLICIES.includes(spec.restartPolicy)) errs.push(notSupported(rp,
    spec.restartPolicy, RESTART_POLICIES));
  if (spec.serviceAccountName) {
    const p = child(path, 'serviceAccountName');
    errs.push(...invalidEach(p, spec.serviceAccountName, isDns1123Subdomain(
      spec.serviceAccountName)));
  }
  if (spec.nodeName) errs.push(...invalidEach(child(path, 'nodeName'), spec.nodeName,
    isDns1123Subdomain(spec.nodeName)));
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && (ads < 1 || ads > MAX_INT32)) {
    errs.push(invalid(child(path, 'activeDeadlineSeconds'), ads, inclusiveRangeError(1,
      MAX_INT32)));
  }
  errs.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  return errs;
}

/** validatePodSpec checks a (defaulted) pod spec at `path` ("spec" or "spec.template.spec"). */
export function validatePodSpec(spec: PodSpec | undefined, path: string): FieldError[] {
  if (!spec) return [required(path)];
  const { errs, names: volumeNames } = validateVolumes(spec.volumes, child(path, 'volumes'));
  const hostNetwork = spec.hostNetwork === true;
  const taken = new Set<string>();
  const initCtx = { volumeNames, hostNetwork, init: true };
  errs.push(...validateContainerList(spec.initContainers, child(path, 'initContainers'), initCtx,
    taken));
  const ctx = { volumeNames, hostNetwork, init: false };
  errs.push(...validateContainerList(spec.containers, child(path, 'containers'), ctx, taken));
  errs.push(...validateSpecScalars(spec, path));
  errs.push(...validateDns(spec, path));
  errs.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  errs.push(...validateAffinity(spec.affinity, child(path, 'affinity')));
  errs.push(...validateTopologySpread(spec.topologySpreadConstraints, child(path,
    'topologySpreadConstraints')));
  return errs;
}

/** validatePodTemplate checks a workload's template: labels, annotations and the pod spec. */
export function validatePodTemplate(t: PodTemplateSpec | undefined, path: string): FieldError[] {
  if (!t) return [required(path)];
  const errs = validateLabels(t.metadata?.labels, child(child(path, 'metadata'), 'labels'));
  return [...errs, ...validatePodSpec(t.spec, child(path, 'spec'))];
}

/** UPDATABLE_POD_FIELDS is upstream's list, word for word, as kubectl users see it. */
const UPDATABLE_POD_FIELDS =
  '`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,' +
  '`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** tolerationUpdateErrors: old tolerations stay (only their tolerationSeconds may shrink). */
function tolerationUpdateErrors(next: Toleration[], old: Toleration[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const o of old) {
    const kept = next.some((n) => sameValue({ ...n, tolerationSeconds: undefined }, { ...o,
      tolerationSeconds: undefined }));
    if (!kept) errs.push(forbidden(path,
      'existing toleration can not be modified except its tolerationSeconds'));
  }
  return errs;
}

/** mungedSpec is the old spec with every updatable field taken from the new one. */
function mungedSpec(next: PodSpec, old: PodSpec): PodSpec {
  const m: PodSpec = cloneJson(old);
  m.containers = (m.containers ?? []).map((c, i) => ({ ...c, image: next.containers?.[i]?.image }));
  if (m.initContainers) {
    m.initContainers = m.initContainers.map((c, i) => ({ ...c,
      image: next.initContainers?.[i]?.image }));
  }
  m.activeDeadlineSeconds = next.activeDeadlineSeconds;
  m.tolerations = next.tolerations;
  if ((old.terminationGracePeriodSeconds ?? 0) < 0 && next.terminationGracePeriodSeconds === 1) {
    m.terminationGracePeriodSeconds = 1;
  }
  // Binding (pods/binding) sets nodeName once; the registry runs binds through update.
  if (!old.nodeName && next.nodeName) m.nodeName = next.nodeName;
  return m;
}

/** changedFields names the top-level spec fields that differ, for the Forbidden message. */
function changedFields(a: PodSpec, b: PodSpec): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  return [...keys].filter((k) => !sameValue(ra[k], rb[k])).sort();
}

/** validatePodSpecUpdate checks what may change in a running pod's spec. */
export function validatePodSpecUpdate(next: PodSpec | undefined,
  old: PodSpec | undefined): FieldError[] {
  if (!next || !old) return [];
  const errs: FieldError[] = [];
  const ads = 'spec.activeDeadlineSeconds';
  if (old.activeDeadlineSeconds !== undefined) {
    if (next.activeDeadlineSeconds === undefined) {
      errs.push(invalid(ads, null, 'must not update from a positive integer to nil value'));
    } else if (next.activeDeadlineSeconds > old.activeDeadlineSeconds) {
      errs.push(invalid(ads, next.activeDeadlineSeconds,
        'must be less than or equal to previous value'));
    }
  }
  errs.push(...tolerationUpdateErrors(next.tolerations ?? [], old.tolerations ?? [],
    'spec.tolerations'));
  const munged = mungedSpec(next, old);
  if (!sameValue(munged, next)) {
    const diff = changedFields(munged, next).map((f) => `  spec.${f}: changed`).join('\n');
    errs.push(forbidden('spec',
      `pod updates may not change fields other than ${UPDATABLE_POD_FIELDS}\n${diff}`));
  }
  return errs;
}
