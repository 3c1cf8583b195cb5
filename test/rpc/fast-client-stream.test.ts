/**
 * Client-streaming calls on the fast path (src/rpc/fast-client-stream.ts), against grpc-js's own
 * server as the reference: the same headers, message bytes and trailers for a stream answered at
 * its end, one refused mid-stream, one refused before any message and one with a message over
 * the size limit; the handler sees every message in order, then 'end'. Only methods whose
 * definition is marked take the fast path; the served counter is the tripwire.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import {
  Metadata, Server, ServerCredentials, status, type sendUnaryData, type ServerReadableStream,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { MAX_MESSAGE_BYTES } from '../../src/rpc/defaults.js';
import { fastClientStream } from '../../src/rpc/fast-client-stream.js';
import { fastUnaryServed } from '../../src/rpc/fast-unary.js';
import { frameMessage } from '../../src/rpc/fast-unary-frame.js';
import { bind, newServer } from '../../src/rpc/server.js';
import { asGrpcGo, raw } from './raw-h2.js';

const ident = (b: Buffer): Buffer => b;
const SUM_PATH = { ':path': '/test.Sum/Sum' };

/** SUM: one client-streaming method, marked for the fast path (its own deserializer). */
const SUM: ServiceDefinition = {
  Sum: fastClientStream({
    path: '/test.Sum/Sum', requestStream: true, responseStream: false,
    requestSerialize: ident, requestDeserialize: (b: Buffer) => Buffer.from(b),
    responseSerialize: ident, responseDeserialize: ident,
  }),
};

/** sum answers with the messages joined by '+' at the end; "fail" refuses at once. */
function sum(seen: string[]) {
  return (call: ServerReadableStream<Buffer, Buffer>, cb: sendUnaryData<Buffer>): void => {
    call.sendMetadata(new Metadata());
    const got: string[] = [];
    let done = false;
    call.on('data', (m: Buffer) => {
      if (done) return;
      got.push(m.toString());
      seen.push(m.toString());
      if (m.toString() === 'fail') {
        done = true;
        cb({ code: status.FAILED_PRECONDITION, details: 'refused: fail' });
      }
    });
    call.on('end', () => {
      if (!done) cb(null, Buffer.from(got.join('+')));
    });
    call.on('error', () => undefined);
  };
}

async function start(fast: boolean, seen: string[]): Promise<{ server: Server; port: number }> {
  const server = fast ? newServer() : new Server();
  server.addService(SUM, { Sum: sum(seen) });
  const port = await bind(server, '127.0.0.1:0', ServerCredentials.createInsecure());
  return { server, port };
}

const body = (...ms: string[]): Buffer =>
  Buffer.concat(ms.map((m) => frameMessage(Buffer.from(m))));

describe('rpc/fast-client-stream: client streams on the fast path', () => {
  const seenFast: string[] = [];
  const seenPlain: string[] = [];
  let fast: { server: Server; port: number };
  let plain: { server: Server; port: number };
  before(async () => {
    fast = await start(true, seenFast);
    plain = await start(false, seenPlain);
  });
  after(() => {
    fast.server.forceShutdown();
    plain.server.forceShutdown();
  });

  it('answers as grpc-js (in grpc-go\'s header set): at the end, refused mid-stream, refused first, no message', async () => {
    const bodies = [body('a', 'bb', 'ccc'), body('a', 'fail', 'c'), body('fail'), Buffer.alloc(0)];
    for (const b of bodies) {
      const before = fastUnaryServed(fast.server);
      const mine = await raw(fast.port, b, SUM_PATH);
      const theirs = await raw(plain.port, b, SUM_PATH);
      assert.deepEqual(mine, asGrpcGo(theirs));
      assert.equal(fastUnaryServed(fast.server), before + 1, 'served on the fast path');
    }
    assert.deepEqual(seenFast, seenPlain, 'the handler saw the same messages in the same order');
    assert.deepEqual(seenFast, ['a', 'bb', 'ccc', 'a', 'fail', 'fail']);
  });

  it('a message over the size limit ends the stream as grpc-js does, nothing after it', async () => {
    const n = [seenFast.length, seenPlain.length];
    const big = frameMessage(Buffer.alloc(MAX_MESSAGE_BYTES + 1));
    const b = Buffer.concat([frameMessage(Buffer.from('a')), big]);
    assert.deepEqual(await outcome(fast.port, b), await outcome(plain.port, b));
    // grpc-js may drop 'a' too (it delivers asynchronously); neither delivers the large one.
    for (const [seen, from] of [[seenFast, n[0]!], [seenPlain, n[1]!]] as const) {
      assert.ok(seen.slice(from).every((m) => m === 'a'));
    }
  });
});

/** outcome sends b and reports how the stream ended: status, or the reset that ended it. */
async function outcome(port: number, b: Buffer): Promise<string> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const st = session.request({
    ':method': 'POST', ':path': '/test.Sum/Sum', 'content-type': 'application/grpc', te: 'trailers',
  });
  let out = '';
  st.on('response', (h) => (out += `headers ${String(h['grpc-status'])} `));
  st.on('trailers', (h) => (out += `trailers ${String(h['grpc-status'])} `));
  st.on('error', () => undefined);
  st.resume();
  await new Promise((r) => {
    st.on('close', r);
    st.end(b);
  });
  session.close();
  return `${out}rst ${st.rstCode}`;
}
