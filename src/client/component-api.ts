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

/**
 * omittingManagedFields is api with every list and watch asking the server to leave
 * metadata.managedFields out (omitManagedFields), for an informer that drops them anyway
 * (InformerDeps.dropManagedFields): managedFields are most of a pod's bytes, and every watcher of
 * pods received and JSON-decoded them on each event only to throw them away. The other verbs are
 * api's own. A server or in-process API that ignores the option still sends them, and the
 * informer still drops them.
 */
export function omittingManagedFields(api: ComponentApi): ComponentApi {
  const view: ComponentApi = {
    get: (r, ns, name, o) => api.get(r, ns, name, o),
    list: (r, ns, o) => api.list(r, ns, { ...o, omitManagedFields: true }),
    watch: (r, ns, o) => api.watch(r, ns, { ...o, omitManagedFields: true }),
    create: (r, ns, obj, o) => api.create(r, ns, obj, o),
    update: (r, ns, obj, o) => api.update(r, ns, obj, o),
    patch: (r, ns, name, type, body, o) => api.patch(r, ns, name, type, body, o),
    delete: (r, ns, name, o) => api.delete(r, ns, name, o),
    bind: (ns, pod, nodeName, o) => api.bind(ns, pod, nodeName, o),
  };
  const batch = api.createBatch?.bind(api);
  return batch === undefined ? view : { ...view, createBatch: batch };
}
