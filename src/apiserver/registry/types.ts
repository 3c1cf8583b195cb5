/**
 * ApiRegistry: the one door to objects inside the API server. The REST face (kubectl) and the
 * component gRPC face (scheduler, controllers, kubelet, kube-proxy) both call it, so defaulting,
 * validation, admission, storage and watch semantics are written once.
 */
import type { KubeList, KubeObject } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { LeaderFence } from '../../client/types.js';
import type { StorageWatchEvent, Watch } from '../storage/types.js';

/** UserInfo is the authenticated caller (client certificate CN/O, or a token's user). */
export interface UserInfo {
  name: string;
  groups: string[];
}

/** RequestContext travels with every registry call. */
export interface RequestContext {
  user: UserInfo;
  /** W3C traceparent of the request, stored with the write and delivered to watchers. */
  traceparent?: string;
  /**
   * The leader's fence a write carries (component API metadata k8ts-fence): the write lands
   * only if the Lease has not changed hands since fence.revision, checked in the write's own
   * store transaction; otherwise 403 and nothing is written. Reads ignore it.
   */
  fence?: LeaderFence;
  /**
   * The request's User-Agent (HTTP header; the component API's user-agent metadata). A write
   * that names no fieldManager is recorded under its prefix (manager-name.ts), as upstream.
   */
  userAgent?: string;
}

/** FieldValidation is the fieldValidation query parameter (default Strict for kubectl). */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** WriteOptions are common to create, update and patch. */
export interface WriteOptions {
  fieldManager?: string;
  /** dryRun=All: validate and answer, store nothing. */
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  /**
   * Target a subresource ("status"; "scale" answers autoscaling/v1 Scale; "finalize", update
   * only, changes a namespace's spec.finalizers and nothing else).
   */
  subresource?: WriteSubresource;
}

/** WriteSubresource is a subresource a write can target through the registry. */
export type WriteSubresource = 'status' | 'scale' | 'finalize';

/** WriteResult is a write's outcome plus warnings for the Warning response header. */
export interface WriteResult {
  object: KubeObject;
  /** True when a create happened (201 instead of 200), e.g. server-side apply of a new object. */
  created: boolean;
  warnings: string[];
}

/** ListOptions are a list's query parameters, unparsed selectors included. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  limit?: number;
  continue?: string;
}

/** WatchOptions are a watch's query parameters. */
export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
}

/** PatchType is the Content-Type of a PATCH body. */
export type PatchType =
  | 'application/json-patch+json'
  | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml';

/** DeleteOptions mirrors metav1.DeleteOptions (body or query). */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** DeleteResult: the object's last state, and whether it is gone (false = graceful, pending). */
export interface DeleteResult {
  object: KubeObject;
  deleted: boolean;
}

/** ApiRegistry is implemented by src/apiserver/registry/registry.ts. */
export interface ApiRegistry {
  get(ctx: RequestContext, r: ResourceInfo, ns: string | undefined, name: string, subresource?: 'status' | 'scale'): Promise<KubeObject>;
  list(ctx: RequestContext, r: ResourceInfo, ns: string | undefined, opts: ListOptions): Promise<KubeList>;
  watch(
    ctx: RequestContext,
    r: ResourceInfo,
    ns: string | undefined,
    opts: WatchOptions,
    onEvent: (e: StorageWatchEvent) => void,
    onError: (err: Error) => void,
  ): Watch;
  create(ctx: RequestContext, r: ResourceInfo, ns: string | undefined, obj: KubeObject, opts: WriteOptions): Promise<WriteResult>;
  update(ctx: RequestContext, r: ResourceInfo, ns: string | undefined, name: string, obj: KubeObject, opts: WriteOptions): Promise<WriteResult>;
  patch(
    ctx: RequestContext,
    r: ResourceInfo,
    ns: string | undefined,
    name: string,
    type: PatchType,
    body: string,
    opts: WriteOptions & { force?: boolean },
  ): Promise<WriteResult>;
  delete(ctx: RequestContext, r: ResourceInfo, ns: string | undefined, name: string, opts: DeleteOptions): Promise<DeleteResult>;
  /** bind sets spec.nodeName of a pending pod (pods/binding; only the scheduler uses it). */
  bind(ctx: RequestContext, ns: string, pod: string, nodeName: string): Promise<void>;
}
