/**
 * Server-side Table printing (meta.k8s.io/v1 Table, reference/kubectl-wire.md §3): printerFor
 * picks a kind's printer by group and resource, toTable renders objects with it. Kinds without a
 * printer get kube-apiserver's default table, NAME and CREATED AT.
 */
import type { KubeObject, ListMeta } from '../meta.js';
import { DESCRIPTIONS } from './descriptions.js';
import { parseTimestamp } from './human-duration.js';
import { column, NAME_COLUMN, nameOf } from './cells.js';
import { configMapPrinter, secretPrinter, serviceAccountPrinter } from './config.js';
import { endpointsPrinter } from './endpoints.js';
import { endpointSlicePrinter } from './endpointslices.js';
import { eventPrinter } from './events.js';
import { leasePrinter } from './leases.js';
import { namespacePrinter } from './namespaces.js';
import { nodePrinter } from './nodes.js';
import { podPrinter } from './pods.js';
import { servicePrinter } from './services.js';
import type { Cell, Printer, RowCondition, TableColumnDefinition } from './types.js';
import { daemonSetPrinter, deploymentPrinter, jobPrinter, replicaSetPrinter } from './workloads.js';

export type { Cell, Printer, RowCondition, TableColumnDefinition } from './types.js';

/** Printers by "<group>/<resource>" ("" group for core). */
const PRINTERS: ReadonlyMap<string, Printer> = new Map([
  ['/pods', podPrinter],
  ['/nodes', nodePrinter],
  ['/services', servicePrinter],
  ['/endpoints', endpointsPrinter],
  ['/namespaces', namespacePrinter],
  ['/configmaps', configMapPrinter],
  ['/secrets', secretPrinter],
  ['/serviceaccounts', serviceAccountPrinter],
  ['/events', eventPrinter],
  ['apps/deployments', deploymentPrinter],
  ['apps/replicasets', replicaSetPrinter],
  ['apps/daemonsets', daemonSetPrinter],
  ['batch/jobs', jobPrinter],
  ['coordination.k8s.io/leases', leasePrinter],
  ['discovery.k8s.io/endpointslices', endpointSlicePrinter],
]);

const META_V1 = 'meta.k8s.io/v1';

/** Go's zero time, printed for an object without creationTimestamp. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * defaultPrinter is kube-apiserver's table for kinds without their own printer: NAME and
 * CREATED AT (an RFC 3339 date, which kubectl prints as-is).
 */
export const defaultPrinter: Printer = {
  columns: [NAME_COLUMN, column('Created At', 'date', DESCRIPTIONS.creationTimestamp)],
  cells(obj: KubeObject) {
    const ms = parseTimestamp(obj.metadata?.creationTimestamp);
    const created = ms === undefined
      ? ZERO_TIME
      : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
    return [nameOf(obj), created];
  },
};

/** printerFor returns the printer of a resource, or the default NAME / CREATED AT printer. */
export function printerFor(group: string, resource: string): Printer {
  return PRINTERS.get(`${group}/${resource}`) ?? defaultPrinter;
}

/** IncludeObject is the `includeObject` query parameter: what each row carries besides cells. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** TableRow is one row of a Table. */
export interface TableRow {
  cells: Cell[];
  conditions?: RowCondition[];
  object?: Record<string, unknown>;
}

/** Table is the meta.k8s.io/v1 Table document. */
export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ListMeta;
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/**
 * toTable renders objects as a Table. Every column, wide ones included, is always rendered (the
 * client hides priority-1 columns unless `-o wide`). Rows carry PartialObjectMetadata by default,
 * because kubectl reads namespace and labels from it (`-A`, `--show-labels`, `-L`), or the whole
 * object for `--sort-by` (Object). `typeMeta` fills kind/apiVersion of objects that lack them.
 */
export function toTable(printer: Printer, objects: readonly KubeObject[], nowMs: number,
  includeObject: IncludeObject, listMeta: ListMeta,
  typeMeta?: { apiVersion: string; kind: string }): Table {
  const width = printer.columns.length;
  const rows = objects.map((obj): TableRow => {
    const cells = printer.cells(obj, nowMs);
    if (cells.length !== width) {
      throw new Error(`printer bug: ${cells.length} cells for ${width} columns`);
    }
    const conditions = printer.conditions?.(obj) ?? [];
    const row: TableRow = { cells };
    if (conditions.length > 0) row.conditions = conditions;
    const object = rowObject(obj, includeObject, typeMeta);
    if (object) row.object = object;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { ...listMeta },
    columnDefinitions: printer.columns.map((c) => ({ ...c })),
    rows,
  };
}

function rowObject(obj: KubeObject, include: IncludeObject,
  typeMeta: { apiVersion: string; kind: string } | undefined,
): Record<string, unknown> | undefined {
  switch (include) {
    case 'None':
      return undefined;
    case 'Metadata':
      return { kind: 'PartialObjectMetadata', apiVersion: META_V1, metadata: obj.metadata };
    case 'Object':
      return {
        kind: obj.kind ?? typeMeta?.kind,
        apiVersion: obj.apiVersion ?? typeMeta?.apiVersion,
        ...obj,
      };
  }
}
