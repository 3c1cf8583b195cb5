/**
 * The API server's storage flags, as kube-apiserver spells them: --watch-cache-sizes (which
 * resources have a watch cache) and --event-ttl (how long Events live). Pure parsers; main.ts
 * reads the flags, server.ts applies them.
 */
import { RESOURCES, storagePrefix } from '../api/resources.js';

/**
 * DEFAULT_WATCH_CACHE_SIZES: kube-apiserver's DefaultWatchCacheSizes — Events get no watch
 * cache. Nothing reads every Event continuously (a client's watch of them is a store watch, and
 * `kubectl describe` lists a few), so a cache of them in every API server only costs: the store
 * sends each Event to every API server, which decodes and keeps it.
 */
export const DEFAULT_WATCH_CACHE_SIZES = 'events#0';

/** DEFAULT_EVENT_TTL_SECONDS: kube-apiserver's --event-ttl default, 1h. */
export const DEFAULT_EVENT_TTL_SECONDS = 3_600;

/**
 * uncachedPrefixes reads --watch-cache-sizes ("resource[.group]#size,...", kube-apiserver's
 * format) over the defaults: size 0 turns a resource's cache off, any other size on (our caches
 * size their history by time: the number itself is not used). Returns the storage prefixes of
 * the uncached resources. A resource that is not served, or a malformed entry, is an error.
 */
export function uncachedPrefixes(flag: string | undefined): Set<string> {
  const sizes = new Map<string, number>();
  for (const text of [DEFAULT_WATCH_CACHE_SIZES, flag ?? '']) {
    for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
      const m = /^([a-z0-9-]+)(?:\.([a-z0-9.-]+))?#(\d{1,9})$/.exec(entry);
      if (!m) {
        const what = `${JSON.stringify(entry)} is not resource[.group]#size`;
        throw new Error(`--watch-cache-sizes: ${what}`);
      }
      const [, resource = '', group = ''] = m;
      const r = RESOURCES.find((x) => x.resource === resource && x.group === group);
      if (!r) throw new Error(`--watch-cache-sizes: ${entry}: no such resource is served`);
      sizes.set(storagePrefix(r), Number(m[3]));
    }
  }
  return new Set([...sizes].filter(([, size]) => size === 0).map(([prefix]) => prefix));
}

/**
 * parseDurationSeconds reads a Go duration as kube-apiserver's flags take it ("1h", "90m",
 * "1h30m0s", "45s"), in whole seconds; it must be positive.
 */
export function parseDurationSeconds(flag: string, text: string): number {
  const unit: Record<string, number> = { h: 3_600, m: 60, s: 1 };
  const parts = /^(?:\d+[hms])+$/.test(text) ? text.match(/\d+[hms]/g) ?? [] : [];
  const seconds = parts.reduce((sum, p) =>
    sum + Number(p.slice(0, -1)) * (unit[p.slice(-1)] ?? 0), 0);
  if (parts.length === 0 || !Number.isSafeInteger(seconds) || seconds <= 0) {
    const what = `${JSON.stringify(text)} is not a positive duration such as 1h or 90s`;
    throw new Error(`${flag}: ${what}`);
  }
  return seconds;
}
