/**
 * Content negotiation, pure. kubectl's human `get` asks for
 * `application/json;as=Table;v=v1;g=meta.k8s.io,...,application/json`; typed clients ask for
 * protobuf first and accept JSON (we always answer JSON, which client-go takes); discovery asks
 * for the aggregated document by its own media type (handled by the discovery module).
 */

/** MediaRange is one entry of an Accept header. */
export interface MediaRange {
  type: string;
  params: Record<string, string>;
}

/** parseAccept splits an Accept header into media ranges, in the client's order. */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [];
  return header.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    return { type: type.toLowerCase(), params };
  });
}

/** wantsTable: the client asked for meta.k8s.io Table (v1 or v1beta1) before anything else. */
export function wantsTable(header: string | undefined): boolean {
  for (const m of parseAccept(header)) {
    if (m.params.as === 'Table' && m.params.g === 'meta.k8s.io') return m.type === 'application/json';
    if (m.type === 'application/json' || m.type === '*/*' || m.type === 'application/*') return false;
    if (m.type === 'application/vnd.kubernetes.protobuf') continue;
  }
  return false;
}

/** acceptsJson: JSON is acceptable (no Accept header means anything is). */
export function acceptsJson(header: string | undefined): boolean {
  const ranges = parseAccept(header);
  if (ranges.length === 0) return true;
  return ranges.some((m) => ['application/json', '*/*', 'application/*', 'application/vnd.kubernetes.protobuf', 'application/yaml'].includes(m.type));
}

/** mediaType strips parameters from a Content-Type. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
