/**
 * kube-proxy's health endpoint (GET /healthz and /livez on the node's address, port 10256 as
 * upstream), which the static pod's readiness probe and an SRE's curl read. Kept apart from the
 * proxy's shell so the static pod manifest (pure) can name the port without loading the proxy.
 */
import http from 'node:http';

/** HEALTHZ_PORT: kube-proxy's --healthz-bind-address port. */
export const HEALTHZ_PORT = 10256;

/**
 * serveHealth answers GET /healthz and /livez as kube-proxy does: 200 with the last sync's time
 * once a sync has completed, 503 before; the body is upstream's JSON shape.
 */
export async function serveHealth(
  host: string, port: number, lastSyncMs: () => number, wallMs: () => number,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || (path !== '/healthz' && path !== '/livez')) {
      res.writeHead(404).end();
      return;
    }
    const last = lastSyncMs();
    const body = JSON.stringify({
      lastUpdated: last === 0 ? '' : new Date(last).toISOString(),
      currentTime: new Date(wallMs()).toISOString(),
      nodeEligible: true,
    });
    res.writeHead(last === 0 ? 503 : 200, { 'Content-Type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
