/**
 * Kubernetes' object envelope as plain JSON: every API object is a JSON object with apiVersion,
 * kind and metadata (ObjectMeta), exactly as kube-apiserver serialises it. k8ts keeps objects as
 * plain data, never classes, so what is stored, validated, patched and served is the same JSON a
 * manifest contains; typed views (core/v1 Pod, apps/v1 Deployment...) are TypeScript interfaces
 * over that JSON.
 */

/** JsonValue is any value JSON can carry. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** JsonObject is a JSON object; objects from the wire arrive as this before they are typed. */
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

/** OwnerReference points at the object that owns this one (the garbage collector follows it). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** ManagedFieldsEntry records which manager owns which fields (server-side apply). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  /** RFC 3339, second precision. */
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: JsonObject;
  subresource?: string;
}

/** ObjectMeta is metadata every persisted object has (metav1.ObjectMeta). */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  /** The store revision of the object's last write, as a decimal string; opaque to clients. */
  resourceVersion?: string;
  generation?: number;
  /** RFC 3339, second precision (metav1.Time). */
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  selfLink?: string;
}

/** KubeObject is any API object: the envelope plus whatever fields its kind declares. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** ListMeta is metadata of a list (metav1.ListMeta). */
export interface ListMeta {
  resourceVersion?: string;
  /** Opaque token for the next page (limit/continue). */
  continue?: string;
  remainingItemCount?: number;
}

/** KubeList is a list response, e.g. {kind: "PodList", apiVersion: "v1", items: [...]}. */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

/** WatchEventType is the type of one watch event on the wire. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** apiVersionOf returns "v1" for the core group, else "<group>/<version>". */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** splitApiVersion is apiVersionOf's inverse: "apps/v1" → {group: "apps", version: "v1"}. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** isJsonObject tells a JSON object from arrays, null and scalars. */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
