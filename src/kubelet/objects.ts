/**
 * The API objects pods refer to. Services, which every pod's service environment variables need,
 * are cached cluster-wide from the kubelet's start (as upstream's kubelet), so the first pod of a
 * namespace does not wait for a list. ConfigMaps and Secrets are cached per namespace by
 * informers started the first time a pod of that namespace reads one — a kubelet only watches
 * the namespaces of its own pods, and a pod that reads none (podObjectRefs) waits for none.
 * Reads never wait long: a cache that has not synced within syncWaitMs is read as it is, so
 * static pods start while the API server is unreachable (an object they need and that is
 * missing fails the container, and the next sync tries again).
 */
import type { ConfigMap, Secret } from '../api/core/v1/config.js';
import type { Service } from '../api/core/v1/service.js';
import type { Clock } from '../base/clock.js';
import type { Informer, InformerFactory } from '../client/cache/types.js';
import type { PodObjectRefs } from './pod-object-refs.js';
import { CONFIG_MAPS, SECRETS, SERVICES } from './resources.js';

/** NAMESPACES_MAX bounds the namespaces watched. */
export const NAMESPACES_MAX = 1_000;

/** NamespaceObjects: one namespace's lookups, as env and volumes take them. */
export interface NamespaceObjects {
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
  /** Services of this namespace and of "default". */
  services: Service[];
}

interface Watched {
  configMaps?: Informer<ConfigMap>;
  secrets?: Informer<Secret>;
}

/** Every kind a pod may read: what a lookup without refs waits for. */
const ALL_REFS: PodObjectRefs = { configMaps: true, secrets: true };

/** ObjectCache hands out per-namespace lookups over shared informers. */
export class ObjectCache {
  private readonly namespaces = new Map<string, Watched>();
  private readonly services: Informer<Service>;

  constructor(
    private readonly informers: InformerFactory,
    private readonly clock: Clock,
    private readonly syncWaitMs = 2_000,
  ) {
    this.services = informers.informerFor<Service>(SERVICES);
  }

  /** forNamespace: lookups for ns, after waiting (bounded) for the caches of the kinds the pod
   *  reads (refs) unless !wait (a static pod never waits for the API, as upstream's kubelet). */
  async forNamespace(ns: string, wait = true, refs = ALL_REFS): Promise<NamespaceObjects> {
    const mine = this.watch(ns, refs);
    if (wait) {
      await this.waitSynced([this.services, ...(refs.configMaps ? [mine.configMaps!] : []),
        ...(refs.secrets ? [mine.secrets!] : [])]);
    }
    const services = [...this.services.lister.list(ns),
      ...(ns === 'default' ? [] : this.services.lister.list('default'))];
    return {
      configMap: (name) => this.watch(ns, { configMaps: true, secrets: false }).configMaps!
        .lister.get(ns, name),
      secret: (name) => this.watch(ns, { configMaps: false, secrets: true }).secrets!
        .lister.get(ns, name),
      services,
    };
  }

  /** watch starts ns's informers of the kinds refs names (once each). */
  private watch(ns: string, refs: PodObjectRefs): Watched {
    let w = this.namespaces.get(ns);
    if (w === undefined) {
      if (this.namespaces.size >= NAMESPACES_MAX) {
        throw new Error(`more than ${NAMESPACES_MAX} namespaces watched`);
      }
      w = {};
      this.namespaces.set(ns, w);
    }
    if (refs.configMaps && w.configMaps === undefined) {
      w.configMaps = this.informers.informerFor<ConfigMap>(CONFIG_MAPS, { namespace: ns });
    }
    if (refs.secrets && w.secrets === undefined) {
      w.secrets = this.informers.informerFor<Secret>(SECRETS, { namespace: ns });
    }
    return w;
  }

  private async waitSynced(all: Informer<ConfigMap | Secret | Service>[]): Promise<void> {
    const deadline = this.clock.nowMs() + this.syncWaitMs;
    while (!all.every((i) => i.hasSynced()) && this.clock.nowMs() < deadline) {
      await new Promise<void>((r) => this.clock.setTimeout(r, 20));
    }
  }
}
