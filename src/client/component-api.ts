/**
 * ComponentApi is what a component (scheduler, controllers, kubelet, kube-proxy) needs from the
 * API: ApiClient's verbs, as an interface so a component can be handed a fenced view of the
 * client (writes carry the leader's fence) or, in the control-plane simulation, the same verbs
 * served in-process by the real registry. Components depend on this, never on ApiClient.
 */
import type { KubeList, KubeObject } from '../api/meta.js';
import type {
  ApiResource,
  ApiWatch,
  CallOptions,
  DeleteOptions,
  DeleteResult,
  GetOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  WatchOptions,
  WriteOptions,
} from './types.js';

/** Ns is a namespace; undefined for cluster-scoped resources and all-namespace lists. */
export type Ns = string | undefined;

/** ComponentApi: the component API's verbs (proto/k8ts/api/v1/api.proto). */
export interface ComponentApi {
  get<T extends KubeObject>(r: ApiResource, ns: Ns, name: string, o?: GetOptions): Promise<T>;
  list<T extends KubeObject>(r: ApiResource, ns: Ns, o?: ListOptions): Promise<KubeList<T>>;
  watch<T extends KubeObject>(r: ApiResource, ns: Ns, o?: WatchOptions): ApiWatch<T>;
  create<T extends KubeObject>(r: ApiResource, ns: Ns, obj: T, o?: WriteOptions): Promise<T>;
  update<T extends KubeObject>(r: ApiResource, ns: Ns, obj: T, o?: WriteOptions): Promise<T>;
  patch<T extends KubeObject>(
    r: ApiResource,
    ns: Ns,
    name: string,
    type: PatchType,
    body: string | object,
    o?: PatchOptions,
  ): Promise<T>;
  delete<T extends KubeObject>(
    r: ApiResource,
    ns: Ns,
    name: string,
    o?: DeleteOptions,
  ): Promise<DeleteResult<T>>;
  bind(ns: string, pod: string, nodeName: string, o?: CallOptions): Promise<void>;
  /**
   * createBatch creates several objects in one call (CreateBatch); each settles alone, as the
   * object stored or the error its create failed with. The promise rejects only when the call
   * as a whole failed (no answer, deadline, a server without CreateBatch: UNIMPLEMENTED).
   * Optional: a view without it (a fenced view, the simulation) takes single creates.
   */
  createBatch?(items: readonly BatchCreate[], o?: WriteOptions): Promise<(KubeObject | Error)[]>;
}

/** BatchCreate: one create of a createBatch call. */
export interface BatchCreate {
  r: ApiResource;
  ns: Ns;
  obj: KubeObject;
}
