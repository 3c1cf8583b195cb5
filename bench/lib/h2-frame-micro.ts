/**
 * h2-frame-micro: the server CPU per streamed gRPC message on node:http2, for the ways a
 * server-streaming call can put one serialized message on the wire (src/rpc/fast-serve.ts's
 * send): 'copy' frames it into a new buffer (prefix + message copied: frameMessage), 'writev'
 * is writeFramed's way: under 1 KiB the same copy, from that size on the 5-byte prefix and the
 * message itself as two chunks of one corked write (no copy). Like an API server's watch fan-out, every message goes to `streams` open
 * streams (one client session in a child process that reads and drops them), the same message
 * object to all of them, `size` bytes each. Modes alternate; each round is its own server
 * process so one mode's inline caches cannot disturb the other's. CPU is the server process's
 * own (process.cpuUsage), per message per stream.
 *
 * kind 'unary' measures a unary answer instead (endFramed): the client keeps `streams` requests
 * in flight and the server answers each with headers, the message and trailers; CPU per answer.
 *
 *   node --import tsx bench/lib/h2-frame-micro.ts [rounds=6] [messages=20000] [streams=8] [size=4000] [kind=stream|unary]
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { frameMessage } from '../../src/rpc/fast-unary-frame.js';
import { endFramed, writeFramed } from '../../src/rpc/fast-serve.js';

const role = process.argv[2];
const self = fileURLToPath(import.meta.url);

if (role === 'serve-unary') {
  const [, , , mode, mText, , zText] = process.argv;
  const messages = Number(mText);
  const message = Buffer.alloc(Number(zText), 7);
  const trailers = { 'grpc-status': '0', 'grpc-message': '' };
  let answered = 0;
  let c0 = process.cpuUsage();
  const srv = http2.createServer();
  srv.on('stream', (st) => {
    st.on('data', () => {});
    st.on('end', () => {
      st.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      st.once('wantTrailers', () => st.sendTrailers(trailers));
      if (mode === 'copy') st.end(frameMessage(message));
      else endFramed(st, message);
      if (++answered === 2000) c0 = process.cpuUsage();
      if (answered === 2000 + messages) {
        const cpu = process.cpuUsage(c0);
        process.send!({ us: (cpu.user + cpu.system) / messages });
      }
    });
  });
  srv.listen(0, '127.0.0.1', () => process.send!({ port: (srv.address() as AddressInfo).port }));
} else if (role === 'unary-client') {
  const [, , , portText, sText] = process.argv;
  const session = http2.connect(`http://127.0.0.1:${portText}`);
  session.on('error', () => {});
  const body = frameMessage(Buffer.alloc(64, 1));
  const one = (): void => {
    const st = session.request({ ':method': 'POST', ':path': '/m', 'content-type': 'application/grpc' });
    st.on('data', () => {});
    st.on('error', () => {});
    st.on('close', () => {
      if (!session.closed && !session.destroyed) one();
    });
    st.end(body);
  };
  for (let i = 0; i < Number(sText); i++) one();
  process.on('disconnect', () => session.destroy());
} else if (role === 'serve') {
  const [, , , mode, mText, sText, zText] = process.argv;
  const messages = Number(mText);
  const streams = Number(sText);
  const size = Number(zText);
  const srv = http2.createServer();
  const open: http2.ServerHttp2Stream[] = [];
  srv.on('stream', (st) => {
    st.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    open.push(st);
    if (open.length === streams) void run();
  });
  const sendAll = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const message = Buffer.alloc(size, i & 0xff);
      let pending = open.length;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          if (--pending === 0) resolve();
        };
        for (const st of open) {
          if (mode === 'copy') st.write(frameMessage(message), done);
          else writeFramed(st, message, done);
        }
      });
    }
  };
  const run = async (): Promise<void> => {
    await sendAll(2000);
    const c0 = process.cpuUsage();
    await sendAll(messages);
    const cpu = process.cpuUsage(c0);
    process.send!({ us: (cpu.user + cpu.system) / (messages * streams) });
    for (const st of open) st.close();
    srv.close();
  };
  srv.listen(0, '127.0.0.1', () => process.send!({ port: (srv.address() as AddressInfo).port }));
} else if (role === 'client') {
  const [, , , portText, sText] = process.argv;
  const session = http2.connect(`http://127.0.0.1:${portText}`);
  session.on('error', () => {});
  for (let i = 0; i < Number(sText); i++) {
    const st = session.request({ ':method': 'POST', ':path': '/m', 'content-type': 'application/grpc' });
    st.on('data', () => {});
    st.on('error', () => {});
    st.on('close', () => {
      session.close();
    });
  }
} else {
  const rounds = Number(process.argv[2] ?? 6);
  const messages = process.argv[3] ?? '20000';
  const streams = process.argv[4] ?? '8';
  const size = process.argv[5] ?? '4000';
  const unary = process.argv[6] === 'unary';
  const results: Record<string, number[]> = { copy: [], writev: [] };
  for (let i = 0; i < rounds; i++) {
    const modes = i % 2 === 0 ? ['copy', 'writev'] : ['writev', 'copy'];
    for (const mode of modes) {
      const execArgv = ['--import', 'tsx'];
      const server = fork(self, [unary ? 'serve-unary' : 'serve', mode, messages, streams, size], { execArgv });
      let client: ReturnType<typeof fork> | undefined;
      const us = await new Promise<number>((resolve) => {
        server.on('message', (m: { port?: number; us?: number }) => {
          if (m.port !== undefined) {
            client = fork(self, [unary ? 'unary-client' : 'client', String(m.port), streams], { execArgv });
          } else resolve(m.us!);
        });
      });
      server.kill();
      client?.kill();
      results[mode]!.push(us);
      console.log(`round ${i} ${mode}: ${us.toFixed(2)} µs per message${unary ? '' : ' per stream'}`);
    }
  }
  for (const [mode, xs] of Object.entries(results)) {
    const sorted = [...xs].sort((a, b) => a - b);
    console.log(`${mode}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} µs (${xs.map((x) => x.toFixed(2)).join(' ')})`);
  }
}
