/**
 * The Endpoints table: NAME ENDPOINTS AGE. ENDPOINTS shows at most three "ip:port" entries
 * (every address of every port of every subset; bare IPs for a subset without ports), then
 * " + N more...", so a large Service still prints on one line.
 */
import type { KubeObject } from '../meta.js';
import { DESCRIPTIONS } from './descriptions.js';
import { AGE_COLUMN, age, arr, column, int, NAME_COLUMN, nameOf, rec, str } from './cells.js';
import type { Printer } from './types.js';

/** MAX_SHOWN is how many endpoints a cell lists before summarising the rest. */
export const MAX_SHOWN = 3;

/** endpointsPrinter renders Endpoints. */
export const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', DESCRIPTIONS.endpointsSubsets), AGE_COLUMN],
  cells(ep: KubeObject, nowMs: number) {
    return [nameOf(ep), formatEndpoints(ep), age(ep, nowMs)];
  },
};

/** formatEndpoints renders the ENDPOINTS cell; "<none>" without subsets. */
export function formatEndpoints(ep: KubeObject): string {
  const subsets = arr(ep.subsets).map(rec);
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const ips = arr(ss.addresses).map((a) => str(rec(a).ip));
    const ports = arr(ss.ports).map(rec);
    // A headless Service may have no ports: its addresses print as bare IPs.
    const entries = ports.length === 0
      ? ips
      : ports.flatMap((p) => ips.map((ip) => joinHostPort(ip, int(p.port))));
    count += entries.length;
    for (const e of entries) if (shown.length < MAX_SHOWN) shown.push(e);
  }
  const joined = shown.join(',');
  return count > MAX_SHOWN ? `${joined} + ${count - MAX_SHOWN} more...` : joined;
}

/** joinHostPort brackets IPv6 addresses, as Go's net.JoinHostPort does. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
