/**
 * Test helpers: run a manifest through a kind's strategy as the registry does on create (defaults,
 * prepareForCreate, server metadata, validate) and render errors as kube-apiserver prints them.
 */
import { fieldErrorMessage, type FieldError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { strategyFor } from '../../../src/api/strategies.js';

/** created runs the create path; returns the admitted object and its error lines. */
export function created(group: string, kind: string, manifest: object, ns = 'default'): { obj: KubeObject; errs: string[] } {
  const s = strategyFor(group, kind);
  const obj = structuredClone(manifest) as KubeObject;
  obj.metadata ??= {};
  const namespaced = !['Namespace', 'Node'].includes(kind);
  if (namespaced) obj.metadata.namespace ??= ns;
  s.applyDefaults(obj);
  obj.metadata.uid = 'uid-1';
  s.prepareForCreate?.(obj);
  return { obj, errs: lines(s.validate(obj)) };
}

/** updated runs the update path against a stored object. */
export function updated(group: string, kind: string, next: KubeObject, old: KubeObject): string[] {
  const s = strategyFor(group, kind);
  const obj = structuredClone(next);
  obj.metadata = { ...obj.metadata, resourceVersion: '7' };
  s.applyDefaults(obj);
  return lines(s.validateUpdate(obj, old));
}

/** lines renders field errors as the Status message's parts. */
export function lines(errs: FieldError[]): string[] {
  return errs.map(fieldErrorMessage);
}
