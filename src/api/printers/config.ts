/**
 * Configuration kinds: ConfigMap (NAME DATA AGE), Secret (NAME TYPE DATA AGE) and ServiceAccount
 * (NAME SECRETS AGE, the 1.32 column set). DATA counts keys, never shows values.
 */
import type { KubeObject } from '../meta.js';
import { DESCRIPTIONS } from './descriptions.js';
import { AGE_COLUMN, age, arr, column, NAME_COLUMN, nameOf, rec, str } from './cells.js';
import type { Printer } from './types.js';

function keyCount(v: unknown): number {
  return Object.keys(rec(v)).length;
}

/** configMapPrinter renders ConfigMaps; DATA counts data and binaryData keys. */
export const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, column('Data', 'string', DESCRIPTIONS.configMapData), AGE_COLUMN],
  cells(cm: KubeObject, nowMs: number) {
    return [nameOf(cm), keyCount(cm.data) + keyCount(cm.binaryData), age(cm, nowMs)];
  },
};

/** secretPrinter renders Secrets. */
export const secretPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', DESCRIPTIONS.secretType),
    column('Data', 'string', DESCRIPTIONS.secretData),
    AGE_COLUMN,
  ],
  cells(s: KubeObject, nowMs: number) {
    return [nameOf(s), str(s.type), keyCount(s.data), age(s, nowMs)];
  },
};

/** serviceAccountPrinter renders ServiceAccounts; SECRETS counts the legacy secrets list. */
export const serviceAccountPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Secrets', 'string', DESCRIPTIONS.serviceAccountSecrets),
    AGE_COLUMN,
  ],
  cells(sa: KubeObject, nowMs: number) {
    return [nameOf(sa), arr(sa.secrets).length, age(sa, nowMs)];
  },
};
