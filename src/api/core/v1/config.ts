/**
 * core/v1 ConfigMap and Secret: key/value bags mounted into pods as files or env. Keys become file
 * names, so they are checked as config keys; the total is capped at 1 MiB because every object
 * rides whole in each watch event. `immutable: true` freezes data for good.
 */
import type { FieldError } from '../../errors.js';
import type { KubeObject } from '../../meta.js';
import { forbidden, invalid, invalidEach, key, required, tooLong } from '../../validation/field.js';
import { immutable } from '../../validation/common.js';
import { defineStrategy, str } from '../../validation/kind-strategy.js';
import { isConfigMapKey } from '../../validation/names.js';

/** MAX_CONFIG_BYTES is 1 MiB, the data limit of one ConfigMap or Secret. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  /** Base64 on the wire. */
  binaryData?: Record<string, string>;
  immutable?: boolean;
}

export interface Secret extends KubeObject {
  /** Base64 on the wire. */
  data?: Record<string, string>;
  /** Write-only convenience: merged into data (base64-encoded) when written. */
  stringData?: Record<string, string>;
  type?: string;
  immutable?: boolean;
}

/** base64Bytes is the decoded length of a base64 string (what the size limit counts). */
function base64Bytes(v: string): number {
  return Buffer.from(v, 'base64').length;
}

function validateKeys(bag: Record<string, string> | undefined, path: string, other?: Record<string,
  string>): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(bag ?? {})) {
    errs.push(...invalidEach(key(path, k), k, isConfigMapKey(k)));
    if (other && Object.hasOwn(other, k)) {
      errs.push(invalid(key(path, k), k,
        `duplicate of key present in ${path === 'data' ? 'binaryData' : 'data'}`));
    }
  }
  return errs;
}

function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = [...validateKeys(cm.data, 'data', cm.binaryData), ...validateKeys(cm.binaryData,
    'binaryData')];
  let total = 0;
  for (const v of Object.values(cm.data ?? {})) total += Buffer.byteLength(v);
  for (const v of Object.values(cm.binaryData ?? {})) total += base64Bytes(v);
  if (total > MAX_CONFIG_BYTES) errs.push(tooLong('', MAX_CONFIG_BYTES));
  return errs;
}

/** immutableDataErrors: once `immutable` is true, neither data nor the flag may change. */
function immutableDataErrors(obj: ConfigMap | Secret, old: ConfigMap | Secret,
  bags: readonly string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  const why = 'field is immutable when `immutable` is set';
  for (const b of bags) {
    if (immutable(obj[b], old[b], b).length > 0) errs.push(forbidden(b, why));
  }
  if (obj.immutable !== true) errs.push(forbidden('immutable', why));
  return errs;
}

/** configMapStrategy is core/v1 ConfigMap's KindStrategy (no status, no generation). */
export const configMapStrategy = defineStrategy<ConfigMap>({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  validate: validateConfigMap,
  validateUpdate: (cm, old) => immutableDataErrors(cm, old, ['data', 'binaryData']),
});

/** Required data keys per built-in secret type. */
const SECRET_REQUIRED_KEYS: Record<string, readonly string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

/** defaultSecret: type Opaque, and stringData folded into data as upstream's conversion does. */
export function defaultSecret(s: Secret): void {
  s.type ||= 'Opaque';
  if (s.stringData) {
    s.data ??= {};
    for (const [k, v] of Object.entries(s.stringData)) s.data[k] = Buffer.from(v, 'utf8').toString(
      'base64');
    delete s.stringData;
  }
}

function validateSecretType(s: Secret): FieldError[] {
  const errs: FieldError[] = [];
  const data = s.data ?? {};
  for (const k of SECRET_REQUIRED_KEYS[s.type ?? ''] ?? []) {
    if (!Object.hasOwn(data, k)) errs.push(required(key('data', k)));
  }
  if (s.type === 'kubernetes.io/service-account-token' && !s.metadata.annotations?.['kubernetes.io/service-account.name']) {
    errs.push(required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
  }
  if (s.type === 'kubernetes.io/basic-auth' && !Object.hasOwn(data, 'username') && !Object.hasOwn(
    data, 'password')) {
    errs.push(required(key('data', 'username')), required(key('data', 'password')));
  }
  return errs;
}

function validateSecret(s: Secret): FieldError[] {
  const errs = validateKeys(s.data, 'data');
  let total = 0;
  for (const v of Object.values(s.data ?? {})) total += base64Bytes(v);
  if (total > MAX_CONFIG_BYTES) errs.push(tooLong('data', MAX_CONFIG_BYTES));
  return [...errs, ...validateSecretType(s)];
}

/** secretStrategy is core/v1 Secret's KindStrategy (no status, no generation). */
export const secretStrategy = defineStrategy<Secret>({
  group: '',
  version: 'v1',
  kind: 'Secret',
  defaults: defaultSecret,
  validate: validateSecret,
  validateUpdate: (s, old) => [...immutable(s.type, old.type, 'type'), ...immutableDataErrors(s,
    old, ['data'])],
  fieldLabels: (s) => ({ type: str(s.type) }),
});
