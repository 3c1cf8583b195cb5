/**
 * KindStrategy: what is particular to one kind when it is created, updated or listed — its
 * defaults, its validation, which part is status, which fields field selectors may name. The
 * registry (src/apiserver/registry) does everything common (metadata, uid, generation,
 * resourceVersion, graceful deletion) and calls the strategy for the rest. Both the REST face and
 * the component gRPC face go through the registry, so they share every rule.
 *
 * Strategies are pure: no I/O, no clock (timestamps are set by the registry).
 */
import type { FieldError } from './errors.js';
import type { KubeObject } from './meta.js';

/** KindStrategy is one kind's rules. Implementations live in src/api/<group>/. */
export interface KindStrategy {
  /**
   * applyDefaults fills defaulted fields in place, as kube-apiserver's defaulting does on decode
   * (ports' protocol, restartPolicy, pod-template defaults...). Idempotent.
   */
  applyDefaults(obj: KubeObject): void;
  /** validate checks a new object (spec and metadata specifics); [] when valid. */
  validate(obj: KubeObject): FieldError[];
  /** validateUpdate checks an update against the stored object, including immutable fields. */
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /**
   * validateStatusUpdate checks a status subresource write (metadata and status; the spec is the
   * stored one, so it is not validated again), as upstream's status strategies do. Absent: the
   * status write is checked with validateUpdate.
   */
  validateStatusUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /**
   * hasStatus: the kind has a status the main resource may not change (the registry keeps the
   * old status on update and takes only status through the /status subresource).
   */
  hasStatus: boolean;
  /**
   * specFields: top-level fields whose change bumps metadata.generation ("spec" for most kinds;
   * [] for kinds without generation such as ConfigMap).
   */
  specFields: readonly string[];
  /**
   * fieldLabels: the values field selectors may match, e.g. {"spec.nodeName": "n1",
   * "status.phase": "Running"}; metadata.name and metadata.namespace are added by the registry.
   * Selecting on any other field is a 400, as upstream.
   */
  fieldLabels(obj: KubeObject): Record<string, string>;
  /** prepareForCreate resets what a client may not set on create (e.g. status for most kinds). */
  prepareForCreate?(obj: KubeObject): void;
  /**
   * prepareForUpdate carries over, in place, what a plain update may not change or may leave
   * out (a namespace's spec.finalizers; a Service's allocated cluster IPs and node ports).
   */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
}
