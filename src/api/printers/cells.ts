/**
 * Helpers shared by the printers: defensive readers over plain JSON (objects arrive as stored,
 * possibly partial, and the typed interfaces are views, not guarantees) and the cell formats
 * kube-apiserver uses in several tables (AGE, container lists, label maps).
 */
import type { KubeObject } from '../meta.js';
import { compareStrings } from '../selectors/requirement.js';
import { DESCRIPTIONS } from './descriptions.js';
import { timestampSince } from './human-duration.js';
import type { TableColumnDefinition } from './types.js';

/** Json is a loosely read JSON object: every field may be missing or of another type. */
export type Json = Record<string, unknown>;

/** rec reads an object field, {} when absent or not an object. */
export function rec(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

/** arr reads an array field, [] when absent. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** str reads a string field, "" when absent (Go's zero value, which the printers test for). */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** int reads an integer field, 0 when absent. */
export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** optInt reads an optional integer (a Go *int32): undefined when absent. */
export function optInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : undefined;
}

/** spec and status of an object, {} when absent. */
export function spec(o: KubeObject): Json {
  return rec(o.spec);
}
export function status(o: KubeObject): Json {
  return rec(o.status);
}

/** name of an object; "" when unnamed. */
export function nameOf(o: KubeObject): string {
  return str(o.metadata?.name);
}

/** age is the AGE cell: how long ago the object was created. */
export function age(o: KubeObject, nowMs: number): string {
  return timestampSince(o.metadata?.creationTimestamp, nowMs);
}

/** orNone maps "" to "<none>", the placeholder kube-apiserver prints for empty cells. */
export function orNone(s: string): string {
  return s === '' ? '<none>' : s;
}

/** containerCells joins container names and images with commas (the wide CONTAINERS/IMAGES). */
export function containerCells(containers: unknown): [string, string] {
  const list = arr(containers).map(rec);
  return [list.map((c) => str(c.name)).join(','), list.map((c) => str(c.image)).join(',')];
}

/** templateContainers reads spec.template.spec.containers of a workload. */
export function templateContainers(o: KubeObject): unknown {
  return rec(rec(spec(o).template).spec).containers;
}

/** formatLabels renders a string map as "k=v,k2=v2" sorted by key, or "<none>" when empty. */
export function formatLabels(m: unknown): string {
  const entries = Object.entries(rec(m)).sort(([a], [b]) => compareStrings(a, b));
  return orNone(entries.map(([k, v]) => `${k}=${str(v)}`).join(','));
}

/** column builds a column definition (format "" and priority 0 unless given). */
export function column(name: string, type: TableColumnDefinition['type'], description: string,
  extra: { priority?: number; format?: string } = {}): TableColumnDefinition {
  return { name, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}

/** NAME_COLUMN is every table's first column. */
export const NAME_COLUMN = column('Name', 'string', DESCRIPTIONS.name, { format: 'name' });
/** AGE_COLUMN renders creationTimestamp as a human duration. */
export const AGE_COLUMN = column('Age', 'string', DESCRIPTIONS.creationTimestamp);

/** Descriptions shared by the workload tables (upstream's own wording). */
export const CONTAINERS_DESCRIPTION = 'Names of each container in the template.';
export const IMAGES_DESCRIPTION = 'Images referenced by each container in the template.';
