/**
 * h2-request-bind-micro: the client CPU per gRPC-shaped request on node:http2 (POST, one
 * 64-byte message, answer headers + message + trailers from a bare server in a child process),
 * 64 in flight, with Node 20's ClientHttp2Session.request() as is ('plain') or with
 * AsyncResource.prototype.bind swapped for a lean equivalent around each request() call
 * ('swap': src/rpc/h2-request.ts's requestOn, which h2-call.ts uses), avoiding the two
 * deprecate() wrappers bind defines on every call (nodejs/node#58218), or with the lean bind
 * installed process-wide once ('global'). Each round is its own client process so one mode's prototype
 * swaps cannot disturb the other's inline caches; modes alternate.
 *
 *   node --import tsx bench/lib/h2-request-bind-micro.ts [rounds=8] [requests=40000]
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AsyncResource } from 'node:async_hooks';
import { leanBind, requestOn } from '../../src/rpc/h2-request.js';

const role = process.argv[2];
if (role === 'serve') {
  const frame = Buffer.alloc(5 + 64, 7);
  frame.writeUInt32BE(64, 1);
  frame[0] = 0;
  const H = { ':status': 200, 'content-type': 'application/grpc' };
  const T = { 'grpc-status': '0', 'grpc-message': '' };
  const srv = http2.createServer();
  srv.on('stream', (st) => {
    st.on('data', () => {});
    st.on('end', () => {
      st.respond(H, { waitForTrailers: true });
      st.once('wantTrailers', () => st.sendTrailers(T));
      st.end(frame);
    });
  });
  srv.listen(0, '127.0.0.1', () => process.send!((srv.address() as AddressInfo).port));
} else if (role === 'client') {
  const [, , , mode, portText, nText] = process.argv;
  const n = Number(nText);
  const session = http2.connect(`http://127.0.0.1:${portText}`);
  await new Promise((r) => session.once('remoteSettings', r));
  if (mode === 'global') (AsyncResource.prototype as unknown as { bind: unknown }).bind = leanBind;
  const body = Buffer.alloc(5 + 64, 1);
  body[0] = 0;
  body.writeUInt32BE(64, 1);
  const headers = {
    ':method': 'POST', ':path': '/etcdserverpb.KV/Put', 'content-type': 'application/grpc',
    te: 'trailers', 'grpc-timeout': '10000m', 'user-agent': 'k8ts-h2-micro',
  };
  const one = (): Promise<void> => new Promise((resolve, reject) => {
    const st = mode === 'swap' ? requestOn(session, headers) : session.request(headers);
    st.on('data', () => {});
    st.on('error', reject);
    st.on('close', () => resolve());
    st.end(body);
  });
  const run = async (count: number): Promise<void> => {
    let next = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next++ < count) await one();
    }));
  };
  await run(4000);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run(n);
  const cpu = process.cpuUsage(c0);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.send!({ us: (cpu.user + cpu.system) / n, ms });
  session.close();
} else {
  const rounds = Number(process.argv[2] ?? 8);
  const n = Number(process.argv[3] ?? 40_000);
  const self = fileURLToPath(import.meta.url);
  const server = fork(self, ['serve'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((r) => server.once('message', (m) => r(m as number)));
  const results: Record<string, number[]> = { plain: [], swap: [], global: [] };
  for (let i = 0; i < rounds; i++) {
    const modes = ['plain', 'swap', 'global'];
    for (const mode of i % 2 === 0 ? modes : modes.reverse()) {
      const c = fork(self, ['client', mode, String(port), String(n)], { execArgv: ['--import', 'tsx'] });
      const r = await new Promise<{ us: number; ms: number }>((res) => c.once('message', (m) => res(m as { us: number; ms: number })));
      await new Promise((res) => c.once('exit', res));
      results[mode]!.push(r.us);
      console.log(`${mode.padEnd(6)} ${r.us.toFixed(2)} µs CPU/request (${(n / r.ms * 1000).toFixed(0)} req/s)`);
    }
  }
  const med = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  console.log(`median: plain ${med(results.plain!).toFixed(2)} µs, swap ${med(results.swap!).toFixed(2)} µs, global ${med(results.global!).toFixed(2)} µs`);
  server.kill();
}
