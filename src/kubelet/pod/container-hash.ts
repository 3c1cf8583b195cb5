/**
 * A hash of a container's spec, stamped on each container the worker creates (annotation
 * io.kubernetes.container.hash, as upstream does) so a later sync can tell the API changed the
 * container (an image update) and restart it. FNV-1a over canonical JSON: stable across
 * processes and restarts, which a kubelet restart needs to not restart every container.
 */
import type { Container } from '../../api/core/v1/pod-types.js';

/** canonical renders JSON with sorted object keys, so field order never changes the hash. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** containerSpecHash is an 8-hex-digit FNV-1a hash of the container's canonical JSON. */
export function containerSpecHash(container: Container): string {
  let h = 0x811c9dc5;
  const text = canonical(container);
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
