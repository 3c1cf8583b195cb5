/**
 * The fast path's server streams on the wire, with a raw node:http2 client: the same message
 * bytes and trailers as grpc-js's own server (in grpc-go's header set: raw-h2.ts asGrpcGo) for several messages, an error mid-stream
 * (a Kubernetes Status trailer) and one before any message; a client that does not read stops
 * the handler's writer (write() false, 'drain' only once it reads); a client reset emits
 * 'cancelled' and nothing is written after it. Also the tripwire: if a grpc-js upgrade stops
 * routing streams through src/rpc/fast-unary-hook.ts, the streamed counter stays 0.
 */
import assert from 'node:assert/strict';
import http2, { constants, type IncomingHttpHeaders } from 'node:http2';
import { fastStreamServed } from '../../src/rpc/fast-unary.js';
import { frameMessage } from '../../src/rpc/fast-unary-frame.js';
import { startFeed, type Feed } from './fast-stream-fixture.js';
import { asGrpcGo, raw } from './raw-h2.js';

/** open sends one Feed request on a fresh session; read=false leaves the answer unread. */
function open(port: number, body: string) {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const st = session.request({
    ':method': 'POST', ':path': '/test.Feed/Feed', 'content-type': 'application/grpc',
    te: 'trailers',
  });
  st.end(frameMessage(Buffer.from(body)));
  return { session, st };
}

const FEED_PATH = { ':path': '/test.Feed/Feed' };

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
};

describe('rpc/fast-stream: server streams on the wire', () => {
  let fast: Feed;
  let plain: Feed;
  before(async () => {
    fast = await startFeed(true);
    plain = await startFeed(false);
  });
  after(() => {
    fast.server.forceShutdown();
    plain.server.forceShutdown();
  });

  it('answers with grpc-js\'s messages and trailers, in grpc-go\'s header set', async () => {
    for (const body of ['three', 'fail-mid', 'fail-first', 'empty', 'sizes']) {
      const before = fastStreamServed(fast.server);
      const mine = await raw(fast.port, frameMessage(Buffer.from(body)), FEED_PATH);
      const theirs = await raw(plain.port, frameMessage(Buffer.from(body)), FEED_PATH);
      assert.deepEqual(mine, asGrpcGo(theirs), `request ${body}`);
      assert.equal(fastStreamServed(fast.server), before + 1, 'served on the fast path');
    }
  });

  it('a client that does not read stops the writer; reading lets it finish', async () => {
    const n = 64; // 1 MiB: far more than HTTP/2's 64 KiB initial window
    fast.log.written = fast.log.refused = fast.log.drains = 0;
    const { session, st } = open(fast.port, `many:${n}`);
    st.pause();
    await until(() => fast.log.refused > 0, 'write() said wait');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(fast.log.written < n / 2, `writer stopped early (${fast.log.written} written)`);
    assert.equal(fast.log.drains, 0, 'no drain while the client reads nothing');
    let bytes = 0;
    st.on('data', (d: Buffer) => (bytes += d.length));
    const trailers = new Promise<IncomingHttpHeaders>((r) => st.on('trailers', r));
    st.resume();
    assert.equal((await trailers)['grpc-status'], '0');
    assert.equal(bytes, n * (5 + 16 * 1024));
    assert.ok(fast.log.drains > 0);
    session.close();
  });

  it('a client reset emits cancelled; the handler writes nothing more, no crash', async () => {
    fast.log.written = fast.log.refused = fast.log.drains = fast.log.cancelled = 0;
    const { session, st } = open(fast.port, 'many:1000');
    st.pause();
    await until(() => fast.log.refused > 0, 'writer waiting');
    st.close(constants.NGHTTP2_CANCEL);
    await until(() => fast.log.cancelled === 1, 'cancelled emitted');
    const written = fast.log.written;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(fast.log.written, written, 'nothing written after the reset');
    session.close();
  });
});
