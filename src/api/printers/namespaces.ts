/** The Namespace table: NAME STATUS AGE, STATUS being status.phase (Active or Terminating). */
import type { KubeObject } from '../meta.js';
import { AGE_COLUMN, age, column, NAME_COLUMN, nameOf, status, str } from './cells.js';
import type { Printer } from './types.js';

/** namespacePrinter renders Namespaces. */
export const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  cells(ns: KubeObject, nowMs: number) {
    return [nameOf(ns), str(status(ns).phase), age(ns, nowMs)];
  },
};
