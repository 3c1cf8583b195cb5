/**
 * defineStrategy assembles a KindStrategy from a kind's particular rules, adding what every kind
 * shares: ObjectMeta validation on create and update (namespaced or not, from the resource
 * table), and the status/generation bookkeeping flags. Kinds state only what differs.
 */
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../meta.js';
import { findKind } from '../resources.js';
import { apiVersionOf } from '../meta.js';
import type { KindStrategy } from '../strategy.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { nameIsDnsSubdomain, type NameValidator } from './names.js';

/** KindRules is what one kind says about itself; every member but the identity is optional. */
export interface KindRules<T extends KubeObject> {
  group: string;
  version: string;
  kind: string;
  /** The name rule; DNS-1123 subdomain when left out (most kinds). */
  nameFn?: NameValidator;
  /** True when the kind has a status that only /status may change. */
  hasStatus?: boolean;
  /** Top-level fields whose change bumps metadata.generation; [] for kinds without one. */
  specFields?: readonly string[];
  defaults?: (obj: T) => void;
  validate?: (obj: T) => FieldError[];
  validateUpdate?: (obj: T, old: T) => FieldError[];
  /** Status subresource writes: the status rules only (metadata is checked for every kind). */
  validateStatusUpdate?: (obj: T, old: T) => FieldError[];
  fieldLabels?: (obj: T) => Record<string, string>;
  prepareForCreate?: (obj: T) => void;
  prepareForUpdate?: (obj: T, old: T) => void;
}

/** defineStrategy builds the KindStrategy for one kind. */
export function defineStrategy<T extends KubeObject>(rules: KindRules<T>): KindStrategy {
  const info = findKind(apiVersionOf(rules.group, rules.version), rules.kind);
  if (!info) throw new Error(`defineStrategy: ${rules.kind} is not in the resource table`);
  const meta = { namespaced: info.namespaced, nameFn: rules.nameFn ?? nameIsDnsSubdomain };
  const validate = rules.validate ?? ((): FieldError[] => []);
  return {
    hasStatus: rules.hasStatus ?? false,
    specFields: rules.specFields ?? [],
    applyDefaults: (obj) => rules.defaults?.(obj as T),
    validate: (obj) => [...validateObjectMeta(obj.metadata ?? {}, meta), ...validate(obj as T)],
    validateUpdate: (obj, old) => [
      ...validateObjectMetaUpdate(obj.metadata ?? {}, old.metadata ?? {}),
      ...validate(obj as T),
      ...(rules.validateUpdate?.(obj as T, old as T) ?? []),
    ],
    ...(rules.validateStatusUpdate
      ? { validateStatusUpdate: (obj: KubeObject, old: KubeObject) => [
        ...validateObjectMetaUpdate(obj.metadata ?? {}, old.metadata ?? {}),
        ...(rules.validateStatusUpdate?.(obj as T, old as T) ?? []),
      ] }
      : {}),
    fieldLabels: (obj) => rules.fieldLabels?.(obj as T) ?? {},
    ...(rules.prepareForCreate
      ? { prepareForCreate: (obj: KubeObject) => rules.prepareForCreate?.(obj as T) }
      : {}),
    ...(rules.prepareForUpdate
      ? { prepareForUpdate: (obj: KubeObject, old: KubeObject) =>
        rules.prepareForUpdate?.(obj as T, old as T) }
      : {}),
  };
}

/** str renders a field-selector value: absent fields select as "" (as upstream's do). */
export function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : String(v);
}
