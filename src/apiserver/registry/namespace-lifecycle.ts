/**
 * Namespace lifecycle admission, as kube-apiserver's NamespaceLifecycle plugin does it: creating
 * in a missing or terminating namespace is refused. Like upstream, the check reads this server's
 * cache first (the namespaces watch cache here, the informer there) and asks the store only when
 * the cache cannot vouch: the namespace is not cached (perhaps created a moment ago through
 * another server), cached as terminating (perhaps deleted and recreated), or deleted through
 * this server within the last LIVE_LOOKUP_MS (upstream's forceLiveLookupCache: our own cache may
 * not show that deletion yet). A create therefore costs one store round trip instead of two.
 */
import { notFound, StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { findResource } from '../../api/resources.js';
import type { Storage } from '../storage/types.js';
import { objectKey } from './keys.js';

const NAMESPACES = findResource('', 'v1', 'namespaces');
/** How long a namespace deleted through this server is always read from the store (upstream's
 *  forceLiveLookupTTL). */
const LIVE_LOOKUP_MS = 30_000;
/** Namespaces remembered as recently deleted at most; beyond it every check reads the store. */
const MAX_RECENT_DELETES = 10_000;

/** NamespaceLifecycle answers "may objects be created in this namespace now?". */
export class NamespaceLifecycle {
  /** Namespace → wall-clock ms of its deletion through this server, oldest first. */
  private readonly deletedAt = new Map<string, number>();

  constructor(private readonly storage: Storage, private readonly wallMs: () => number) {}

  /** deleted records that a namespace was deleted (marked terminating) through this server. */
  deleted(ns: string): void {
    this.forgetOld();
    this.deletedAt.delete(ns);
    // Full: not recorded, but then every check reads the store anyway (mustLookUp).
    if (this.deletedAt.size < MAX_RECENT_DELETES) this.deletedAt.set(ns, this.wallMs());
  }

  /** requireLive throws 404 for a missing namespace and 403 NamespaceTerminating for one that
   *  is being deleted. */
  async requireLive(ns: string): Promise<void> {
    if (!NAMESPACES) return;
    const key = objectKey(NAMESPACES, undefined, ns);
    const cached = this.storage.peekCached?.(key);
    if (cached && cached.metadata.deletionTimestamp === undefined && !this.mustLookUp(ns)) return;
    const nsObj = await this.storage.get(key);
    if (!nsObj) throw notFound(NAMESPACES, ns);
    checkNotTerminating(ns, nsObj);
  }

  private mustLookUp(ns: string): boolean {
    this.forgetOld();
    return this.deletedAt.size >= MAX_RECENT_DELETES || this.deletedAt.has(ns);
  }

  /** forgetOld drops the deletions older than LIVE_LOOKUP_MS (the map is oldest first). */
  private forgetOld(): void {
    const now = this.wallMs();
    for (const [ns, at] of this.deletedAt) {
      if (now - at < LIVE_LOOKUP_MS) break;
      this.deletedAt.delete(ns);
    }
  }
}

function checkNotTerminating(ns: string, nsObj: KubeObject): void {
  if (nsObj.metadata.deletionTimestamp === undefined) return;
  const message = `unable to create new content in namespace ${ns} because it is being terminated`;
  // The cause is what controllers branch on (upstream's NamespaceTerminating cause type).
  throw new StatusError(403, 'Forbidden', message, {
    name: ns,
    kind: 'namespaces',
    causes: [{ reason: 'NamespaceTerminating', message, field: 'metadata.namespace' }],
  });
}
