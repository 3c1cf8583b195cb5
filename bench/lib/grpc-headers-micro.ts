/**
 * grpc-headers-micro: a grpc-js client's CPU per Put (KVClient, 256 in flight) against a bare
 * node:http2 server in a child process that answers every Put with the same message under
 * grpc-js's response header set ("grpc-js": content-type application/grpc+proto,
 * grpc-accept-encoding, grpc-encoding, grpc-message OK) or grpc-go's, which etcd sends ("grpc-go":
 * content-type application/grpc, grpc-message empty). The two alternate, 11 rounds of 80,000
 * Puts. Why: at 256 in flight the store bench's single load client is the busiest process, so
 * what the server's answers cost the client moves the k8ts/etcd ratio.
 *
 *   node --import tsx bench/lib/grpc-headers-micro.ts
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { KVClient, PutRequest, PutResponse } from '../../src/gen/etcdserverpb/rpc.js';
if (process.argv[2] === 'serve') {
  const mode = process.argv[3];
  const body = Buffer.from(PutResponse.encode(PutResponse.fromPartial({ header: { clusterId: 123456789, memberId: 987654321, revision: 12345, raftTerm: 2 } })).finish());
  const frame = Buffer.alloc(5 + body.length); frame.writeUInt32BE(body.length, 1); body.copy(frame, 5);
  const H = mode === 'grpc-js' ? { ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-accept-encoding': 'identity,deflate,gzip', 'grpc-encoding': 'identity' } : { ':status': 200, 'content-type': 'application/grpc' };
  const T = mode === 'grpc-js' ? { 'grpc-status': '0', 'grpc-message': 'OK' } : { 'grpc-status': '0', 'grpc-message': '' };
  const srv = http2.createServer();
  srv.on('stream', (st) => { st.on('data', () => {}); st.on('end', () => { st.respond(H, { waitForTrailers: true }); st.once('wantTrailers', () => st.sendTrailers(T)); st.end(frame); }); });
  srv.listen(0, '127.0.0.1', () => process.send!((srv.address() as AddressInfo).port));
} else {
  const N = 80000, C = 256;
  const modes = Array.from({ length: 11 }, (_, i) => (i % 2 === 0 ? 'grpc-go' : 'grpc-js'));
  for (const mode of modes) {
    const child = fork(fileURLToPath(import.meta.url), ['serve', mode], { execArgv: ['--import', 'tsx'] });
    const port = await new Promise<number>((r) => child.once('message', (m) => r(m as number)));
    const kv = new KVClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const req = PutRequest.fromPartial({ key: Buffer.from('k'), value: Buffer.alloc(256) });
    const put = (): Promise<void> => new Promise<void>((res, rej) => kv.put(req, (e) => (e ? rej(e) : res())));
    for (let i = 0; i < 2000; i++) await put();
    const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
    let next = 0;
    await Promise.all(Array.from({ length: C }, async () => { while (next++ < N) await put(); }));
    const us = process.cpuUsage(c0); const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`${mode}: client CPU ${((us.user + us.system) / N).toFixed(1)} µs/put, ${(N / ms * 1000).toFixed(0)} puts/s`);
    kv.close(); child.kill();
  }
}
