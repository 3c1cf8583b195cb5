/**
 * Which discovery document a client asked for. kubectl 1.30+ sends
 * `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,...v2beta1...,
 * application/json`; 1.27-1.29 list only v2beta1 before plain JSON; older clients and curl send
 * plain JSON or nothing. The first media range we can serve wins, in the client's order.
 */

/** DiscoveryVariant is one rendering of /api and /apis. */
export type DiscoveryVariant = 'v2' | 'v2beta1' | 'legacy';

/** CONTENT_TYPES are the exact Content-Type strings kubectl keys on (§2.2). */
export const CONTENT_TYPES: Readonly<Record<DiscoveryVariant, string>> = {
  v2: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  v2beta1: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
  legacy: 'application/json',
};

/** MAX_MEDIA_RANGES bounds the work spent on one Accept header. */
const MAX_MEDIA_RANGES = 32;

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

/**
 * discoveryVariant picks the variant for an Accept header. Ranges are tried by q (highest first,
 * stable), then order; an absent header, `*\/*`, `application/*` and plain `application/json`
 * get the legacy documents. An unservable header also gets legacy, which every client reads.
 */
export function discoveryVariant(accept: string | undefined): DiscoveryVariant {
  if (accept === undefined || accept.trim() === '') return 'legacy';
  const ranges = accept.split(',').slice(0, MAX_MEDIA_RANGES).map(parseMediaRange)
    .filter((r) => r.q > 0);
  ranges.sort((a, b) => b.q - a.q);
  for (const r of ranges) {
    const v = variantOf(r);
    if (v) return v;
  }
  return 'legacy';
}

function variantOf(r: MediaRange): DiscoveryVariant | undefined {
  if (r.type === '*/*' || r.type === 'application/*') return 'legacy';
  if (r.type !== 'application/json') return undefined;
  const as = r.params.get('as');
  if (as === undefined) return 'legacy';
  const g = r.params.get('g');
  if (as !== 'APIGroupDiscoveryList' || g !== 'apidiscovery.k8s.io') return undefined;
  const v = r.params.get('v');
  return v === 'v2' || v === 'v2beta1' ? v : undefined;
}

function parseMediaRange(text: string): MediaRange {
  const [head = '', ...rest] = text.split(';');
  const params = new Map<string, string>();
  let q = 1;
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    const value = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (key === 'q') q = Number.isFinite(Number(value)) ? Number(value) : 0;
    else params.set(key, value);
  }
  return { type: head.trim().toLowerCase(), params, q };
}
