/**
 * discovery.k8s.io/v1 EndpointSlice: a shard of a Service's endpoints, of one address type. The
 * address type is fixed for the slice's life (consumers key their tables by it).
 */
import type { FieldError } from '../../errors.js';
import type { KubeObject } from '../../meta.js';
import { child, index, invalid, notSupported, required } from '../../validation/field.js';
import { immutable } from '../../validation/common.js';
import { defineStrategy } from '../../validation/kind-strategy.js';
import type { ObjectReference } from '../../core/v1/common-types.js';
import { type EndpointPort, validateEndpointPorts } from '../../core/v1/endpoints.js';
import { IP_FORMAT_ERROR, isIp } from '../../core/v1/service.js';

export type AddressType = 'IPv4' | 'IPv6' | 'FQDN';

export interface Endpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: { name: string }[] };
}

/** EndpointSlice lists endpoints of one Service, of one address type. */
export interface EndpointSlice extends KubeObject {
  addressType: AddressType;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

const ADDRESS_TYPES: readonly string[] = ['FQDN', 'IPv4', 'IPv6'];
/** MAX_ADDRESSES is upstream's cap on addresses per endpoint. */
const MAX_ADDRESSES = 100;

function validateEndpoint(ep: Endpoint, path: string, type: string): FieldError[] {
  const errs: FieldError[] = [];
  const addrs = ep.addresses ?? [];
  const ap = child(path, 'addresses');
  if (addrs.length === 0) errs.push(required(ap, 'must contain at least 1 address'));
  if (addrs.length > MAX_ADDRESSES) errs.push({ type: 'FieldValueTooMany', field: ap,
    badValue: addrs.length, detail: `must have at most ${MAX_ADDRESSES} items` });
  addrs.forEach((a, i) => {
    if ((type === 'IPv4' || type === 'IPv6') && !isIp(a)) errs.push(invalid(index(ap, i), a,
      IP_FORMAT_ERROR));
  });
  return errs;
}

function validateSlice(s: EndpointSlice): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.addressType) errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(s.addressType)) errs.push(notSupported('addressType',
    s.addressType, ADDRESS_TYPES));
  (s.endpoints ?? []).forEach((ep, i) => errs.push(...validateEndpoint(ep, index('endpoints', i),
    s.addressType)));
  // Slice ports may leave the number out (all ports); names are never required.
  errs.push(...validateEndpointPorts(s.ports, 'ports', false));
  return errs;
}

/** endpointSliceStrategy is discovery.k8s.io/v1 EndpointSlice's KindStrategy. */
export const endpointSliceStrategy = defineStrategy<EndpointSlice>({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  defaults: (s) => {
    for (const p of s.ports ?? []) {
      p.protocol ??= 'TCP';
      p.name ??= '';
    }
  },
  validate: validateSlice,
  validateUpdate: (s, old) => immutable(s.addressType, old.addressType, 'addressType'),
});
