/**
 * core/v1 Endpoints: the ready and not-ready addresses behind a Service, which kube-proxy and DNS
 * route by. Addresses must be IPs; several ports need names. No status, no generation.
 */
import type { FieldError } from '../../errors.js';
import type { KubeObject } from '../../meta.js';
import { child, duplicate, index, invalid, invalidEach, required } from '../../validation/field.js';
import { validatePortNum, validateProtocol } from '../../validation/common.js';
import { defineStrategy } from '../../validation/kind-strategy.js';
import { isDns1123Label } from '../../validation/names.js';
import type { ObjectReference, Protocol } from './common-types.js';
import { IP_FORMAT_ERROR, isIp } from './service.js';

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}
export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: Protocol;
  appProtocol?: string;
}
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** Endpoints lists the ready and not-ready addresses behind a Service. */
export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

function validateAddresses(list: EndpointAddress[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (list ?? []).forEach((a, i) => {
    const p = child(index(path, i), 'ip');
    if (!isIp(a.ip ?? '')) errs.push(invalid(p, a.ip ?? '', IP_FORMAT_ERROR));
    if (a.hostname) errs.push(...invalidEach(child(index(path, i), 'hostname'), a.hostname,
      isDns1123Label(a.hostname)));
  });
  return errs;
}

/** validateEndpointPorts: names required when several, DNS labels, unique; valid port and protocol. */
export function validateEndpointPorts(ports: EndpointPort[] | undefined, path: string,
  requireNumber = true): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  const list = ports ?? [];
  list.forEach((port, i) => {
    const p = index(path, i);
    if (list.length > 1 && !port.name && requireNumber) errs.push(required(child(p, 'name')));
    else if (port.name) errs.push(...invalidEach(child(p, 'name'), port.name, isDns1123Label(
      port.name)));
    if (port.name !== undefined && names.has(port.name)) errs.push(duplicate(child(p, 'name'),
      port.name));
    names.add(port.name ?? '');
    if (requireNumber || port.port !== undefined) errs.push(...validatePortNum(port.port, child(p,
      'port')));
    errs.push(...validateProtocol(port.protocol, child(p, 'protocol')));
  });
  return errs;
}

function validateEndpoints(ep: Endpoints): FieldError[] {
  return (ep.subsets ?? []).flatMap((s, i) => {
    const p = index('subsets', i);
    return [
      ...validateAddresses(s.addresses, child(p, 'addresses')),
      ...validateAddresses(s.notReadyAddresses, child(p, 'notReadyAddresses')),
      ...validateEndpointPorts(s.ports, child(p, 'ports')),
    ];
  });
}

/** endpointsStrategy is core/v1 Endpoints' KindStrategy. */
export const endpointsStrategy = defineStrategy<Endpoints>({
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  defaults: (ep) => {
    for (const s of ep.subsets ?? []) for (const p of s.ports ?? []) p.protocol ??= 'TCP';
  },
  validate: validateEndpoints,
});
