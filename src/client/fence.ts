/**
 * The fence's wire form: gRPC metadata FENCE_METADATA = "<namespace>/<name>=<revision>", sent by
 * ApiClient with any write whose options carry a fence and read by the API server's gRPC face.
 */
import type { LeaderFence } from './types.js';

/** FENCE_METADATA is the gRPC metadata key carrying a fence: "<namespace>/<name>=<revision>". */
export const FENCE_METADATA = 'k8ts-fence';

/** formatFence renders a fence for FENCE_METADATA. */
export function formatFence(f: LeaderFence): string {
  return `${f.namespace}/${f.name}=${f.revision}`;
}

/** parseFence reads FENCE_METADATA; undefined when malformed (the server answers 400). */
export function parseFence(text: string): LeaderFence | undefined {
  const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)=([1-9][0-9]*)$/
    .exec(text);
  if (m === null) return undefined;
  return { namespace: m[1] ?? '', name: m[3] ?? '', revision: m[5] ?? '' };
}
