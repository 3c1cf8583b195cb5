/**
 * Table printing, server side (meta.k8s.io/v1 Table): kubectl's human `get` output is rendered by
 * the server, one printer per kind with kube-apiserver's columns and cell formulas
 * (reference/kubectl-wire.md §3.4). Printers are pure: the caller passes the current wall time.
 */
import type { KubeObject } from '../meta.js';

/** TableColumnDefinition is one column of a Table (metav1.TableColumnDefinition). */
export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0 = always shown; 1 = shown only with `-o wide`. The server always sends every column. */
  priority: number;
}

/** Cell is one table cell; strings and numbers both print. */
export type Cell = string | number | boolean;

/** RowCondition is a Table row condition, e.g. {type: "Completed", status: "True"}. */
export interface RowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** Printer turns objects of one kind into Table rows. */
export interface Printer {
  columns: readonly TableColumnDefinition[];
  /** cells returns one cell per column; nowMs is wall-clock milliseconds (for AGE). */
  cells(obj: KubeObject, nowMs: number): Cell[];
  /** conditions of a row (finished pods are "Completed"); optional. */
  conditions?(obj: KubeObject): RowCondition[];
}
