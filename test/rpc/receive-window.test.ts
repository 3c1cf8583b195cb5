/**
 * Every k8ts gRPC server grants its clients RECEIVE_WINDOW_BYTES of HTTP/2 receive window, per
 * stream (SETTINGS_INITIAL_WINDOW_SIZE) and for the connection (a WINDOW_UPDATE on stream 0),
 * instead of the protocol's 65,535 bytes: a client may send that much before it must wait for
 * the server; and every k8ts client (H2Channel) grants its server the same, so a watch stream's
 * burst of events is not held back every 64 KiB (src/rpc/defaults.ts says why).
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { once } from 'node:events';
import { RECEIVE_WINDOW_BYTES } from '../../src/rpc/defaults.js';
import { H2Channel } from '../../src/rpc/h2-client.js';
import { startEcho, type Fixture } from './fast-unary-fixture.js';

describe('rpc/server: receive window', () => {
  let fast: Fixture;
  before(async () => {
    fast = await startEcho((call, cb) => cb(null, call.request));
  });
  after(() => fast.close());

  it('is announced for streams and granted for the connection', async () => {
    const session = http2.connect(`http://127.0.0.1:${fast.port}`);
    try {
      await once(session, 'remoteSettings');
      assert.equal(session.remoteSettings.initialWindowSize, RECEIVE_WINDOW_BYTES);
      // The connection's WINDOW_UPDATE may trail the SETTINGS: one request makes sure the
      // server's frames before its answer have all been read.
      const st = session.request({
        ':method': 'POST', ':path': '/test.Echo/Echo', 'content-type': 'application/grpc', te: 'trailers',
      });
      st.resume();
      st.end(Buffer.from([0, 0, 0, 0, 1, 0x61]));
      await once(st, 'close');
      assert.equal(session.state.remoteWindowSize, RECEIVE_WINDOW_BYTES - 6);
    } finally {
      session.close();
    }
  });

  it('is granted by the client for streams and the connection', async () => {
    const server = http2.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const ch = new H2Channel({ target: `127.0.0.1:${port}` });
    try {
      const [session] = await Promise.all([
        once(server, 'session') as Promise<[http2.ServerHttp2Session]>,
        ch.ready(2_000),
      ]).then(([s]) => s);
      if (session.remoteSettings.initialWindowSize !== RECEIVE_WINDOW_BYTES) {
        await once(session, 'remoteSettings');
      }
      assert.equal(session.remoteSettings.initialWindowSize, RECEIVE_WINDOW_BYTES);
      // The connection's WINDOW_UPDATE follows the client's SETTINGS on the same socket.
      for (let i = 0; i < 50 && session.state.remoteWindowSize !== RECEIVE_WINDOW_BYTES; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(session.state.remoteWindowSize, RECEIVE_WINDOW_BYTES);
    } finally {
      ch.close();
      server.close();
    }
  });
});
