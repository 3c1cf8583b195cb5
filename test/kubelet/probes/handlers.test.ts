/**
 * Probe handlers against real servers on loopback: HTTP 2xx/3xx succeed and 4xx/5xx fail with
 * upstream's message, headers and named ports reach the server, a server that never answers
 * times out on the clock; TCP succeeds on an open port and fails on a closed one.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../../src/base/clock.js';
import type { CriRuntime } from '../../../src/kubelet/cri/types.js';
import {
  resolvePort,
  runHandler,
  type HandlerTarget,
} from '../../../src/kubelet/probes/handlers.js';

/** The handlers never call the runtime for http/tcp probes. */
const noCri = {} as CriRuntime;

describe('probe handlers', () => {
  let server: http.Server;
  let port = 0;
  const seen: http.IncomingHttpHeaders[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/hang') return; // never answers
      const code = Number(req.url?.slice(1)) || 200;
      res.writeHead(code, code === 302 ? { Location: '/elsewhere' } : {});
      res.end('body');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const target = (): HandlerTarget => ({
    cri: noCri, clock: systemClock, containerId: 'c1', podIp: '127.0.0.1',
    container: { name: 'web', ports: [{ name: 'http', containerPort: port }] },
  });

  const codes: [number, boolean][] = [[200, true], [204, true], [302, true], [404, false],
    [500, false]];
  for (const [code, ok] of codes) {
    it(`HTTP ${code} ${ok ? 'succeeds' : 'fails'}`, async () => {
      const out = await runHandler({ httpGet: { path: `/${code}`, port } }, target(), 2000);
      assert.equal(out.ok, ok);
      if (!ok) assert.equal(out.output, `HTTP probe failed with statuscode: ${code}`);
    });
  }

  it('HTTP sends the probe headers and resolves a named port', async () => {
    seen.length = 0;
    const out = await runHandler({
      httpGet: { path: '/200', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] },
    }, target(), 2000);
    assert.equal(out.ok, true);
    assert.equal(seen[0]?.['x-probe'], 'yes');
    assert.match(seen[0]?.['user-agent'] ?? '', /^kube-probe\//);
  });

  it('HTTP times out on a server that never answers', async () => {
    const out = await runHandler({ httpGet: { path: '/hang', port } }, target(), 200);
    assert.equal(out.ok, false);
    assert.match(out.output, /context deadline exceeded/);
  });

  it('TCP succeeds on a listening port and fails on a closed one', async () => {
    const ok = await runHandler({ tcpSocket: { port } }, target(), 1000);
    assert.equal(ok.ok, true);
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const bad = await runHandler({ tcpSocket: { port: freePort } }, target(), 1000);
    assert.equal(bad.ok, false);
    assert.match(bad.output, new RegExp(`^dial tcp 127\\.0\\.0\\.1:${freePort}: .*ECONNREFUSED`));
  });

  it('ports: numbers, numeric strings and names; unknown names fail clearly', async () => {
    const c = { name: 'x', ports: [{ name: 'metrics', containerPort: 9090 }] };
    assert.equal(resolvePort(80, c), 80);
    assert.equal(resolvePort('8080', c), 8080);
    assert.equal(resolvePort('metrics', c), 9090);
    assert.equal(resolvePort('nope', c), undefined);
    const out = await runHandler({ tcpSocket: { port: 'nope' } }, target(), 1000);
    assert.deepEqual(out, { ok: false, output: 'unknown port nope' });
  });
});
