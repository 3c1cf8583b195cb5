/**
 * The Node table: NAME STATUS ROLES AGE VERSION, and wide INTERNAL-IP EXTERNAL-IP OS-IMAGE
 * KERNEL-VERSION CONTAINER-RUNTIME. STATUS reads the Ready condition only (other conditions are
 * for describe) and adds SchedulingDisabled for cordoned nodes; ROLES come from labels.
 */
import type { KubeObject } from '../meta.js';
import { compareStrings } from '../selectors/requirement.js';
import { DESCRIPTIONS } from './descriptions.js';
import {
  AGE_COLUMN, age, arr, column, NAME_COLUMN, nameOf, rec, spec, status, str,
} from './cells.js';
import type { Printer } from './types.js';

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

const COLUMNS = [
  NAME_COLUMN,
  column('Status', 'string', 'The status of the node'),
  column('Roles', 'string', 'The roles of the node'),
  AGE_COLUMN,
  column('Version', 'string', DESCRIPTIONS.kubeletVersion),
  column('Internal-IP', 'string', DESCRIPTIONS.nodeAddresses, { priority: 1 }),
  column('External-IP', 'string', DESCRIPTIONS.nodeAddresses, { priority: 1 }),
  column('OS-Image', 'string', DESCRIPTIONS.osImage, { priority: 1 }),
  column('Kernel-Version', 'string', DESCRIPTIONS.kernelVersion, { priority: 1 }),
  column('Container-Runtime', 'string', DESCRIPTIONS.containerRuntimeVersion, { priority: 1 }),
];

/** nodePrinter renders Nodes. */
export const nodePrinter: Printer = {
  columns: COLUMNS,
  cells(node: KubeObject, nowMs: number) {
    const info = rec(status(node).nodeInfo);
    const unknown = (v: unknown): string => str(v) || '<unknown>';
    return [
      nameOf(node),
      nodeStatus(node),
      nodeRoles(node.metadata?.labels).join(',') || '<none>',
      age(node, nowMs),
      str(info.kubeletVersion),
      address(node, 'InternalIP'),
      address(node, 'ExternalIP'),
      unknown(info.osImage),
      unknown(info.kernelVersion),
      unknown(info.containerRuntimeVersion),
    ];
  },
};

/** nodeStatus: Ready, NotReady or Unknown (no Ready condition), then ",SchedulingDisabled". */
export function nodeStatus(node: KubeObject): string {
  const conditions = arr(status(node).conditions).map(rec);
  // The last Ready condition wins if a buggy writer listed two, as a map keyed by type would.
  const ready = conditions.filter((c) => str(c.type) === 'Ready').pop();
  const readiness = str(ready?.status) === 'True' ? 'Ready' : 'NotReady';
  const parts = [ready === undefined ? 'Unknown' : readiness];
  if (spec(node).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** nodeRoles: suffixes of node-role.kubernetes.io/<role> labels plus kubernetes.io/role, sorted. */
export function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith(ROLE_LABEL_PREFIX)) {
      const role = k.slice(ROLE_LABEL_PREFIX.length);
      if (role !== '') roles.add(role);
    } else if (k === ROLE_LABEL && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort(compareStrings);
}

function address(node: KubeObject, type: string): string {
  const a = arr(status(node).addresses).map(rec).find((x) => str(x.type) === type);
  return a === undefined ? '<none>' : str(a.address);
}
