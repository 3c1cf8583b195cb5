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

/** selectable: an object's field-selectable values as selectors match them (cluster-scoped kinds
 *  still answer metadata.namespace, always "", as upstream does). */
function selectable(r: ResourceInfo, s: KindStrategy): (obj: KubeObject) => Record<string, string> {
  return (obj) => ({ 'metadata.namespace': '', ...fieldsOf(s, obj, r.namespaced) });
}

/** compilePredicate returns undefined when both selectors select everything. */
export function compilePredicate(
  r: ResourceInfo,
  s: KindStrategy,
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
): Predicate | undefined {
  return compileWatchFilter(r, s, labelSelector, fieldSelector).predicate;
}

/**
 * compileWatchFilter: the predicate, and the trigger a watch cache can index the watch by
 * (storage WatchTrigger): the first exact term of the field selector — spec.nodeName=<node> for
 * a kubelet's pods, metadata.name=<x> for a single object. Both read the same selectable fields,
 * so indexing never hides an event the predicate would pass. Each selector is parsed once.
 */
export function compileWatchFilter(
  r: ResourceInfo,
  s: KindStrategy,
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
): { predicate?: Predicate; trigger?: WatchTrigger } {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : undefined;
  const fields = fieldSelector ? parseFieldSelector(fieldSelector) : undefined;
  const fieldsOfObj = selectable(r, s);
  if (fields) {
    const err = unsupportedFieldError(fields, Object.keys(fieldsOfObj({ metadata: {} })));
    if (err) throw err;
  }
  const useLabels = labels !== undefined && !labels.isEmpty();
  const useFields = fields !== undefined && !fields.isEmpty();
  if (!useLabels && !useFields) return {};
  const predicate: Predicate = (obj) =>
    (!useLabels || labels.matches(obj.metadata.labels)) &&
    (!useFields || fields.matches(fieldsOfObj(obj)));
  const exact = fields?.requirements.find((q) => q.operator === '=' || q.operator === '==');
  if (exact === undefined) return { predicate };
  return { predicate, trigger: { field: exact.field, value: exact.value, fieldsOf: fieldsOfObj } };
}
