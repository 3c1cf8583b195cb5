/**
 * Compiling a request's labelSelector and fieldSelector into one storage Predicate. Field
 * selectors may name only metadata.name, metadata.namespace and the fields the kind's strategy
 * exposes (strategy.fieldLabels), as kube-apiserver allows; anything else is a 400.
 */
import type { KubeObject } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { KindStrategy } from '../../api/strategy.js';
import { parseFieldSelector, unsupportedFieldError } from '../../api/selectors/fields.js';
import { parseLabelSelector } from '../../api/selectors/labels.js';
import type { Predicate, WatchTrigger } from '../storage/types.js';

/** fieldsOf is every field-selectable value of an object. */
export function fieldsOf(s: KindStrategy, obj: KubeObject, namespaced: boolean): Record<string, string> {
  return {
    'metadata.name': obj.metadata.name ?? '',
    ...(namespaced ? { 'metadata.namespace': obj.metadata.namespace ?? '' } : {}),
    ...s.fieldLabels(obj),
  };
}

/** compilePredicate returns undefined when both selectors select everything. */
export function compilePredicate(
  r: ResourceInfo,
  s: KindStrategy,
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
): Predicate | undefined {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : undefined;
  const fields = fieldSelector ? parseFieldSelector(fieldSelector) : undefined;
  if (fields) {
    // Cluster-scoped kinds still accept metadata.namespace (always ""), as upstream does.
    const allowed = [...Object.keys(fieldsOf(s, { metadata: {} }, r.namespaced)), 'metadata.namespace'];
    const err = unsupportedFieldError(fields, allowed);
    if (err) throw err;
  }
  const useLabels = labels !== undefined && !labels.isEmpty();
  const useFields = fields !== undefined && !fields.isEmpty();
  if (!useLabels && !useFields) return undefined;
  return (obj) =>
    (!useLabels || labels.matches(obj.metadata.labels)) &&
    (!useFields || fields.matches({ 'metadata.namespace': '', ...fieldsOf(s, obj, r.namespaced) }));
}

/**
 * watchTrigger: the exact term of a (valid) field selector a watch cache can index the watch by
 * (storage WatchTrigger) — spec.nodeName=<node> for a kubelet's pods, metadata.name=<x> for a
 * single object — or undefined when the selector has none. The fields are computed as the
 * predicate computes them, so indexing never hides an event the predicate would pass.
 */
export function watchTrigger(
  r: ResourceInfo, s: KindStrategy, fieldSelector: string | undefined,
): WatchTrigger | undefined {
  if (!fieldSelector) return undefined;
  const exact = parseFieldSelector(fieldSelector).requirements
    .find((q) => q.operator === '=' || q.operator === '==');
  if (exact === undefined) return undefined;
  return {
    field: exact.field,
    value: exact.value,
    fieldsOf: (obj) => ({ 'metadata.namespace': '', ...fieldsOf(s, obj, r.namespaced) }),
  };
}
