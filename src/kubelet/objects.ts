/**
 * The API objects pods refer to (ConfigMaps, Secrets, Services), cached per namespace by
 * informers started the first time a pod of that namespace is prepared — a kubelet only ever
 * watches the namespaces of its own pods (plus "default" for the kubernetes Service). Reads
 * never wait long: a cache that has not synced within syncWaitMs is read as it is, so static
 * pods start while the API server is unreachable (an object they need and that is missing
 * fails the container, and the next sync tries again).
 */
import type { ConfigMap, Secret } from '../api/core/v1/config.js';
import type { Service } from '../api/core/v1/service.js';
import type { Clock } from '../base/clock.js';
import type { Informer, InformerFactory } from '../client/cache/types.js';
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
  configMaps: Informer<ConfigMap>;
  secrets: Informer<Secret>;
  services: Informer<Service>;
}

/** ObjectCache hands out per-namespace lookups over shared informers. */
export class ObjectCache {
  private readonly namespaces = new Map<string, Watched>();

  constructor(
    private readonly informers: InformerFactory,
    private readonly clock: Clock,
    private readonly syncWaitMs = 2_000,
  ) {}

  /** forNamespace: lookups for ns, after waiting (bounded) for its caches unless !wait (a
   *  static pod never waits for the API, as upstream's kubelet). */
  async forNamespace(ns: string, wait = true): Promise<NamespaceObjects> {
    const mine = this.watch(ns);
    const dflt = this.watch('default');
    if (wait) await this.waitSynced([mine, dflt]);
    const services = [...mine.services.lister.list(ns),
      ...(ns === 'default' ? [] : dflt.services.lister.list('default'))];
    return {
      configMap: (name) => mine.configMaps.lister.get(ns, name),
      secret: (name) => mine.secrets.lister.get(ns, name),
      services,
    };
  }

  private watch(ns: string): Watched {
    let w = this.namespaces.get(ns);
    if (w !== undefined) return w;
    if (this.namespaces.size >= NAMESPACES_MAX) {
      throw new Error(`more than ${NAMESPACES_MAX} namespaces watched`);
    }
    w = {
      configMaps: this.informers.informerFor<ConfigMap>(CONFIG_MAPS, { namespace: ns }),
      secrets: this.informers.informerFor<Secret>(SECRETS, { namespace: ns }),
      services: this.informers.informerFor<Service>(SERVICES, { namespace: ns }),
    };
    this.namespaces.set(ns, w);
    return w;
  }

  private async waitSynced(ws: Watched[]): Promise<void> {
    const all = ws.flatMap((w) => [w.configMaps, w.secrets, w.services]);
    const deadline = this.clock.nowMs() + this.syncWaitMs;
    while (!all.every((i) => i.hasSynced()) && this.clock.nowMs() < deadline) {
      await new Promise<void>((r) => this.clock.setTimeout(r, 20));
    }
  }
}
