/**
 * kube-proxy against a real API server and store: two node proxies sharing the host (as the
 * process runtime's nodes do) route a Service's ClusterIP and NodePorts, TCP and UDP, to real
 * backend sockets; backends follow the EndpointSlices; one proxy's death hands the ClusterIP to
 * the other.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import type { Service } from '../../src/api/core/v1/service.js';
import type { EndpointSlice } from '../../src/api/discovery/v1/endpoint-slice.js';
import { systemClock } from '../../src/base/clock.js';
import { systemWallMs } from '../../src/base/wall-clock.js';
import { ENDPOINT_SLICES, SERVICES } from '../../src/client/resources.js';
import { frontendsOf } from '../../src/proxy/frontends.js';
import { startProxy, type RunningProxy } from '../../src/proxy/proxy.js';
import { useApiCluster } from '../support/apiserver.js';
import { eventually } from '../support/poll.js';

const BACKENDS = ['127.64.201.2', '127.64.201.3'];
const NODES = ['127.0.201.1', '127.0.201.2'];

/** fetchLine connects, reads until the peer ends, resolves what it said or rejects with the
 *  socket error code (ECONNREFUSED, ECONNRESET). */
function fetchLine(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: ip, port });
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code ?? e.message)));
  });
}

function udpAsk(ip: string, port: number, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { s.close(); reject(new Error('no UDP answer')); }, 500);
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(m.toString()); });
    s.send(msg, port, ip);
  });
}

describe('kube-proxy (real API server, real sockets)', function () {
  this.timeout(60_000);
  const fx = useApiCluster();
  const proxies: (RunningProxy | undefined)[] = [];
  const servers: (net.Server | dgram.Socket)[] = [];
  let backendPort = 0;

  before(async () => {
    // Two backends on the same port at two addresses, each saying who it is, over TCP and UDP.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, BACKENDS[0], () => r()));
    backendPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    for (const ip of BACKENDS) {
      const tcp = net.createServer((c) => c.end(`hello from ${ip}\n`));
      await new Promise<void>((r) => tcp.listen(backendPort, ip, () => r()));
      const udp = dgram.createSocket('udp4');
      udp.on('message', (m, from) => udp.send(`${ip}:${m.toString()}`, from.port, from.address));
      await new Promise<void>((r) => udp.bind(backendPort, ip, () => r()));
      servers.push(tcp, udp);
    }
    for (const [i, nodeIp] of NODES.entries()) {
      proxies.push(await startProxy({ api: fx.api, nodeName: `n${i}`, nodeIp, healthzPort: 0,
        clock: systemClock, wallMs: systemWallMs, log: () => {} }));
    }
  });

  after(async () => {
    await Promise.all(proxies.map((p) => p?.stop()));
    for (const s of servers) s.close();
  });

  let svc: Service;

  it('routes a ClusterIP and each node\'s NodePort to the ready endpoints, round robin, TCP and UDP', async () => {
    svc = await fx.api.create<Service>(SERVICES, 'default', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo' },
      spec: { type: 'NodePort', ports: [
        { name: 'tcp', port: 18080, protocol: 'TCP' },
        { name: 'udp', port: 15353, protocol: 'UDP' },
      ] },
    });
    await fx.api.create<EndpointSlice>(ENDPOINT_SLICES, 'default', {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'echo-1', labels: { 'kubernetes.io/service-name': 'echo' } },
      addressType: 'IPv4',
      ports: [{ name: 'tcp', port: backendPort, protocol: 'TCP' }, { name: 'udp', port: backendPort, protocol: 'UDP' }],
      endpoints: BACKENDS.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    });
    const ip = svc.spec?.clusterIP ?? '';
    const nodePort = svc.spec?.ports?.[0]?.nodePort ?? 0;
    assert.match(ip, /^127\./);
    const seen = await eventually(async () => {
      const got = new Set<string>();
      for (let i = 0; i < 4; i++) got.add(await fetchLine(ip, 18080));
      assert.equal(got.size, 2, `both backends answer: ${[...got].join(', ')}`);
      return got;
    });
    assert.deepEqual([...seen].sort(), BACKENDS.map((b) => `hello from ${b}\n`));
    for (const node of NODES) assert.match(await fetchLine(node, nodePort), /^hello from 127\.64\.201\.[23]\n$/);
    assert.match(await eventually(() => udpAsk(ip, 15353, 'ping')), /^127\.64\.201\.[23]:ping$/);
    // The ClusterIP frontends are served by exactly one of the two node proxies.
    const owners = proxies.map((p) => (p?.serving() ?? []).filter((k) => k.includes(`${ip}:`)).length);
    assert.deepEqual(owners.sort(), [0, 2]);
  });

  it('refuses connections while the Service has no ready endpoint, and follows the slice back', async () => {
    const ip = svc.spec?.clusterIP ?? '';
    const slice = await fx.api.get<EndpointSlice>(ENDPOINT_SLICES, 'default', 'echo-1');
    for (const ep of slice.endpoints ?? []) ep.conditions = { ready: false };
    await fx.api.update(ENDPOINT_SLICES, 'default', slice);
    await eventually(async () => {
      await assert.rejects(fetchLine(ip, 18080), /ECONNRESET/);
    });
    const again = await fx.api.get<EndpointSlice>(ENDPOINT_SLICES, 'default', 'echo-1');
    again.endpoints = [{ addresses: [BACKENDS[1] ?? ''], conditions: { ready: true } }];
    await fx.api.update(ENDPOINT_SLICES, 'default', again);
    await eventually(async () => assert.equal(await fetchLine(ip, 18080), `hello from ${BACKENDS[1]}\n`));
  });

  it('hands the ClusterIP to the other node\'s proxy when the one serving it stops', async () => {
    const ip = svc.spec?.clusterIP ?? '';
    const holder = proxies.findIndex((p) => (p?.serving() ?? []).some((k) => k.includes(`${ip}:18080`)));
    assert.ok(holder >= 0);
    await proxies[holder]?.stop();
    proxies[holder] = undefined;
    const other = proxies.find((p) => p !== undefined);
    await eventually(() => assert.ok(other?.serving().includes(`TCP ${ip}:18080`)), 5_000);
    assert.equal(await fetchLine(ip, 18080), `hello from ${BACKENDS[1]}\n`);
  });

  it('the kubernetes Service has an EndpointSlice of the API servers, so it gets a frontend', async () => {
    const services = (await fx.api.list<Service>(SERVICES, 'default')).items;
    const slices = (await fx.api.list<EndpointSlice>(ENDPOINT_SLICES, 'default')).items;
    const k = frontendsOf({ services, slices, nodeIp: NODES[0] ?? '' })
      .find((f) => f.servicePort === 'default/kubernetes:https');
    const grpc = fx.cluster.grpcEndpoints[0] ?? '';
    const port = Number(new URL(fx.cluster.urls[0] ?? '').port);
    assert.ok(k, 'a frontend for default/kubernetes:https');
    assert.equal(k.port, 443);
    assert.deepEqual(k.backends, [{ ip: grpc.slice(0, grpc.lastIndexOf(':')), port }]);
  });

  it('stops listening when the Service is deleted', async () => {
    const ip = svc.spec?.clusterIP ?? '';
    await fx.api.delete(SERVICES, 'default', 'echo');
    await eventually(async () => {
      await assert.rejects(fetchLine(ip, 18080), /ECONNREFUSED/);
    });
  });
});
