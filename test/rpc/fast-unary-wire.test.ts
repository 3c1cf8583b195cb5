/**
 * The fast unary path on the wire, with a raw node:http2 client: the same bytes as grpc-js's own
 * server for the same answers (but for grpc-go's header set: raw-h2.ts asGrpcGo), protocol errors (compressed flag, torn frames, bad grpc-timeout),
 * and which requests it leaves to grpc-js. Also the hook's tripwire: if a grpc-js upgrade stops
 * routing streams through src/rpc/fast-unary-hook.ts, the served counter stays 0 and this fails.
 */
import assert from 'node:assert/strict';
import { Metadata, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { fastUnaryServed } from '../../src/rpc/fast-unary.js';
import { bind } from '../../src/rpc/server.js';
import { ECHO, startEcho, type Fixture, type UnaryImpl } from './fast-unary-fixture.js';
import { asGrpcGo, raw } from './raw-h2.js';

function frame(body: string, flag = 0): Buffer {
  const out = Buffer.alloc(5 + Buffer.byteLength(body));
  out[0] = flag;
  out.writeUInt32BE(Buffer.byteLength(body), 1);
  out.write(body, 5);
  return out;
}

const behaviour: UnaryImpl = (call, cb) => {
  const t = new Metadata();
  t.set('x-count', '7');
  t.set('x-raw-bin', Buffer.from([1, 2, 3]));
  const req = call.request.toString();
  if (req === 'fail') {
    const details = 'no such key: 100% 日本';
    cb({ code: status.NOT_FOUND, details, metadata: t } as ServiceError);
  } else cb(null, call.request, t);
};

describe('rpc/fast-unary: on the wire', () => {
  let fast: Fixture;
  let plain: Server;
  let plainPort: number;
  before(async () => {
    fast = await startEcho(behaviour);
    plain = new Server();
    plain.addService(ECHO, { Echo: behaviour, Repeat: () => undefined });
    plainPort = await bind(plain, '127.0.0.1:0', ServerCredentials.createInsecure());
  });
  after(() => {
    fast.close();
    plain.forceShutdown();
  });

  it('answers with grpc-js\'s message and trailers, in grpc-go\'s header set', async () => {
    // Answers on both sides of the size from which the message is not copied into a frame.
    for (const body of ['hello', 'fail', '', 'a'.repeat(1023), 'b'.repeat(1024), 'c'.repeat(70_000)]) {
      const before = fastUnaryServed(fast.server);
      const mine = await raw(fast.port, frame(body));
      const theirs = await raw(plainPort, frame(body));
      assert.deepEqual(mine, asGrpcGo(theirs), `request ${JSON.stringify(body)}`);
      const served = fastUnaryServed(fast.server);
      assert.equal(served, before + 1, 'served on the fast path (the hook works)');
    }
  });

  it('refuses a compressed flag and torn frames with INTERNAL', async () => {
    const compressed = await raw(fast.port, frame('x', 1));
    assert.equal(compressed.headers['grpc-status'], String(status.INTERNAL));
    const torn = await raw(fast.port, frame('hello').subarray(0, 3));
    assert.equal(torn.headers['grpc-status'], String(status.INTERNAL));
    const truncated = await raw(fast.port, frame('hello').subarray(0, 7));
    assert.equal(truncated.headers['grpc-status'], String(status.INTERNAL));
  });

  it('answers no message or two messages with UNIMPLEMENTED, as grpc-js', async () => {
    for (const body of [Buffer.alloc(0), Buffer.concat([frame('a'), frame('b')])]) {
      const mine = await raw(fast.port, body);
      const theirs = await raw(plainPort, body);
      assert.equal(mine.headers['grpc-status'], String(status.UNIMPLEMENTED));
      assert.deepEqual(mine, asGrpcGo(theirs));
    }
  });

  it('refuses an unreadable grpc-timeout with INTERNAL', async () => {
    const r = await raw(fast.port, frame('x'), { 'grpc-timeout': 'soon' });
    assert.equal(r.headers['grpc-status'], String(status.INTERNAL));
    assert.equal(r.headers['grpc-message'], encodeURI('Invalid grpc-timeout value "soon"'));
  });

  it('leaves compressed, non-proto and unknown-path requests to grpc-js', async () => {
    const before = fastUnaryServed(fast.server);
    const gz = await raw(fast.port, frame('x'), { 'grpc-encoding': 'gzip' });
    assert.equal(gz.trailers?.['grpc-status'], '0', 'grpc-js reads an uncompressed message');
    const json = await raw(fast.port, frame('x'), { 'content-type': 'application/grpc+json' });
    assert.equal(json.trailers?.['grpc-status'], '0');
    const unknown = await raw(fast.port, frame('x'), { ':path': '/test.Echo/Nope' });
    assert.equal(unknown.headers['grpc-status'], String(status.UNIMPLEMENTED));
    assert.equal(fastUnaryServed(fast.server), before);
  });
});
