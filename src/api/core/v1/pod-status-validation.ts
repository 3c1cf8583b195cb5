/**
 * Pod status validation for the status subresource (upstream's ValidatePodStatusUpdate): a
 * status write keeps the stored spec (the registry takes only the body's status), so what is
 * checked is metadata (by the kind strategy) and the status itself — never the whole spec again,
 * which cannot have changed. A kubelet writes each pod's status several times in its life, and
 * revalidating an unchanged spec was most of the validation those writes paid for.
 *
 * Checked, as upstream: spec.nodeName did not change, a changed nominatedNodeName is a valid node
 * name, condition types outside the built-in ones are qualified names, pod and host IPs are IPs
 * (at most one per family, no duplicates), and with restartPolicy Never (OnFailure: after exit
 * code 0) a terminated container does not come back to life.
 */
import type { FieldError } from '../../errors.js';
import { child, duplicate, forbidden, index, invalid, invalidEach } from '../../validation/field.js';
import { isDns1123Subdomain, isQualifiedName } from '../../validation/names.js';
import type { ContainerStatus, Pod } from './pod-types.js';
import { IP_FORMAT_ERROR, isIp } from './service.js';

/** Condition types the API defines; others must be qualified names (validatePodConditions). */
const BUILT_IN_CONDITIONS: ReadonlySet<string> = new Set([
  'PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers',
  'DisruptionTarget', 'PodResizePending', 'PodResizeInProgress',
]);

/** validatePodStatusUpdate checks a status write of pod against the stored old pod. */
export function validatePodStatusUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const status = pod.status ?? {};
  if ((pod.spec?.nodeName ?? '') !== (old.spec?.nodeName ?? '')) {
    errs.push(forbidden('status.nodeName', 'may not be changed directly'));
  }
  const nominated = status.nominatedNodeName ?? '';
  if (nominated !== '' && nominated !== (old.status?.nominatedNodeName ?? '')) {
    errs.push(...invalidEach('status.nominatedNodeName', nominated, isDns1123Subdomain(nominated)));
  }
  (status.conditions ?? []).forEach((c, i) => {
    if (BUILT_IN_CONDITIONS.has(c.type)) return;
    errs.push(...invalidEach(child(index('status.conditions', i), 'type'), c.type,
      isQualifiedName(c.type)));
  });
  errs.push(...validateIps(status.podIPs, 'status.podIPs'));
  errs.push(...validateIps(status.hostIPs, 'status.hostIPs'));
  const policy = old.spec?.restartPolicy ?? 'Always';
  errs.push(...stateTransitions(status.containerStatuses, old.status?.containerStatuses,
    'status.containerStatuses', policy));
  errs.push(...stateTransitions(status.initContainerStatuses, old.status?.initContainerStatuses,
    'status.initContainerStatuses', policy));
  return errs;
}

/** validateIps: every entry an IP; more than one must be one IPv4 and one IPv6, no repeats. */
function validateIps(ips: { ip: string }[] | undefined, path: string): FieldError[] {
  if (ips === undefined || ips.length === 0) return [];
  const errs: FieldError[] = [];
  ips.forEach((x, i) => {
    if (!isIp(x.ip)) errs.push(invalid(index(path, i), x.ip, IP_FORMAT_ERROR));
  });
  if (ips.length > 1) {
    const v6 = ips.filter((x) => x.ip.includes(':')).length;
    if (ips.length > 2 || v6 !== 1) {
      errs.push(invalid(path, ips, 'may specify no more than one IP for each IP family'));
    }
    const seen = new Set<string>();
    ips.forEach((x, i) => {
      if (seen.has(x.ip)) errs.push(duplicate(index(path, i), x));
      seen.add(x.ip);
    });
  }
  return errs;
}

/**
 * stateTransitions (ValidateContainerStateTransition): unless the pod restarts always, a
 * container that terminated (OnFailure: successfully) may not be reported as not terminated.
 */
function stateTransitions(next: ContainerStatus[] | undefined, old: ContainerStatus[] | undefined,
  path: string, restartPolicy: string): FieldError[] {
  if (restartPolicy === 'Always' || old === undefined) return [];
  const errs: FieldError[] = [];
  old.forEach((o, i) => {
    const t = o.state?.terminated;
    if (t === undefined) return;
    if (t.exitCode !== 0 && restartPolicy === 'OnFailure') return;
    for (const n of next ?? []) {
      if (n.name === o.name && n.state?.terminated === undefined) {
        errs.push(forbidden(child(index(path, i), 'state'),
          'may not be transitioned to non-terminated state'));
      }
    }
  });
  return errs;
}
