/**
 * The component client's vocabulary: which resource, the options of each verb (the same names
 * and meanings as Kubernetes' query parameters), and watch events. These mirror the API server's
 * registry types on purpose instead of importing them: components depend on the wire contract
 * (proto/k8ts/api/v1/api.proto), never on API server internals.
 */
import type { KubeObject } from '../api/meta.js';

/** ApiResource names a resource as the API does: {group: "apps", version: "v1", resource:
 *  "deployments"}; the core group is "". */
export interface ApiResource {
  group: string;
  version: string;
  resource: string;
}

/** CallOptions apply to any unary call. */
export interface CallOptions {
  /** Deadline of the whole call, failover included (default DEFAULT_DEADLINE_MS). */
  timeoutMs?: number;
  /** W3C traceparent to send; default: the active OpenTelemetry context, when there is one. */
  traceparent?: string;
  /** Writes only: the leader's fence, checked by the API server in the write's transaction. */
  fence?: LeaderFence;
}

/**
 * LeaderFence proves a write comes from the current holder of a coordination.k8s.io Lease: the
 * lease's namespace and name and the store revision at which the holder acquired it (the
 * resourceVersion its acquiring write returned). The API server checks, in the same store
 * transaction as the write, that the lease has not changed hands since that revision; a deposed
 * leader's write is refused (403 Forbidden, reason "Forbidden", details.kind "leases").
 */
export interface LeaderFence {
  namespace: string;
  name: string;
  /** Revision of the acquiring write (decimal, as resourceVersion). */
  revision: string;
}

/** GetOptions: a subresource to read instead of the object. */
export interface GetOptions extends CallOptions {
  subresource?: 'status' | 'scale';
}

/** ListOptions are list's query parameters. */
export interface ListOptions extends CallOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  limit?: number;
  continue?: string;
  /** Items without metadata.managedFields (ListRequest.omit_managed_fields): for a cache that
   *  drops them anyway, which then neither receives nor decodes them. */
  omitManagedFields?: boolean;
}

/** WatchOptions are watch's query parameters. */
export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** ""/"0": current state first as ADDED events; "N": changes after N (resumable on failover). */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  /** The server ends the watch (cleanly) after this long; default its maximum (30 min). */
  timeoutSeconds?: number;
  traceparent?: string;
  /** Objects without metadata.managedFields (WatchRequest.omit_managed_fields), as ListOptions'. */
  omitManagedFields?: boolean;
}

/** WriteOptions apply to create, update and patch. */
export interface WriteOptions extends CallOptions {
  fieldManager?: string;
  dryRun?: boolean;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Write a subresource (update and patch; "finalize": update of a namespace's
   *  spec.finalizers only, the namespace controller's write). */
  subresource?: 'status' | 'scale' | 'finalize';
  /** The answer leaves metadata.managedFields out (what is stored keeps them): for a writer that
   *  does not read the object it gets back, which then neither receives nor decodes them. */
  omitManagedFields?: boolean;
}

/** PatchType is the REST Content-Type of the patch body. */
export type PatchType =
  | 'application/json-patch+json'
  | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml';

/** PatchOptions: force is for server-side apply only. */
export interface PatchOptions extends WriteOptions {
  force?: boolean;
}

/** DeleteOptions mirror metav1.DeleteOptions. */
export interface DeleteOptions extends CallOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** DeleteResult: the object's last state, and whether it is gone (false: deletion pending). */
export interface DeleteResult<T extends KubeObject> {
  object: T;
  deleted: boolean;
}

/** WatchEvent is one event; BOOKMARK objects carry only kind and metadata.resourceVersion. */
export interface WatchEvent<T extends KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
  /** The traceparent of the write that caused the event, when it carried one. */
  traceparent?: string;
}

/**
 * ApiWatch is a running watch: iterate it once with for await. Iteration ends when the server
 * closes the watch (timeout) or stop() is called, and throws a StatusError when the server ends
 * it with one (410 Expired: relist) or an RpcError when no API server can be reached.
 */
export interface ApiWatch<T extends KubeObject> extends AsyncIterable<WatchEvent<T>> {
  /** stop cancels the watch; a pending iteration ends without error. */
  stop(): void;
}
