/**
 * The EndpointSlice table: NAME ADDRESSTYPE PORTS ENDPOINTS AGE. Ports and endpoints are listed
 * up to three, then " + N more..."; an empty list prints "<unset>".
 */
import type { KubeObject } from '../meta.js';
import { DESCRIPTIONS } from './descriptions.js';
import { AGE_COLUMN, age, arr, column, NAME_COLUMN, nameOf, optInt, rec, str } from './cells.js';
import { MAX_SHOWN } from './endpoints.js';
import type { Printer } from './types.js';

/** endpointSlicePrinter renders EndpointSlices. */
export const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'string', DESCRIPTIONS.sliceAddressType),
    column('Ports', 'string', DESCRIPTIONS.slicePorts),
    column('Endpoints', 'string', DESCRIPTIONS.sliceEndpoints),
    AGE_COLUMN,
  ],
  cells(slice: KubeObject, nowMs: number) {
    const ports = arr(slice.ports).map(rec).map((p) => {
      const port = optInt(p.port);
      if (port !== undefined) return String(port);
      return typeof p.name === 'string' ? p.name : '*';
    });
    const addresses = arr(slice.endpoints).flatMap((e) => arr(rec(e).addresses).map(str));
    return [nameOf(slice), str(slice.addressType), listWithMore(ports), listWithMore(addresses),
      age(slice, nowMs)];
  },
};

function listWithMore(items: readonly string[]): string {
  const joined = items.slice(0, MAX_SHOWN).join(',');
  if (items.length > MAX_SHOWN) return `${joined} + ${items.length - MAX_SHOWN} more...`;
  return joined === '' ? '<unset>' : joined;
}
