/** The Lease table: NAME HOLDER AGE (the leader election and node heartbeat holder). */
import type { KubeObject } from '../meta.js';
import { DESCRIPTIONS } from './descriptions.js';
import { AGE_COLUMN, age, column, NAME_COLUMN, nameOf, spec, str } from './cells.js';
import type { Printer } from './types.js';

/** leasePrinter renders Leases. */
export const leasePrinter: Printer = {
  columns: [NAME_COLUMN, column('Holder', 'string', DESCRIPTIONS.leaseHolder), AGE_COLUMN],
  cells(lease: KubeObject, nowMs: number) {
    return [nameOf(lease), str(spec(lease).holderIdentity), age(lease, nowMs)];
  },
};
