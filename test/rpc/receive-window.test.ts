/**
 * Every k8ts gRPC server grants its clients SERVER_RECEIVE_WINDOW_BYTES of HTTP/2 receive window,
 * per stream (SETTINGS_INITIAL_WINDOW_SIZE) and for the connection (a WINDOW_UPDATE on stream 0),
 * instead of the protocol's 65,535 bytes: a client may send that much before it must wait for
 * the server (src/rpc/defaults.ts says why).
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { once } from 'node:events';
import { SERVER_RECEIVE_WINDOW_BYTES } from '../../src/rpc/defaults.js';
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
      assert.equal(session.remoteSettings.initialWindowSize, SERVER_RECEIVE_WINDOW_BYTES);
      // The connection's WINDOW_UPDATE may trail the SETTINGS: one request makes sure the
      // server's frames before its answer have all been read.
      const st = session.request({
        ':method': 'POST', ':path': '/test.Echo/Echo', 'content-type': 'application/grpc', te: 'trailers',
      });
      st.resume();
      st.end(Buffer.from([0, 0, 0, 0, 1, 0x61]));
      await once(st, 'close');
      assert.equal(session.state.remoteWindowSize, SERVER_RECEIVE_WINDOW_BYTES - 6);
    } finally {
      session.close();
    }
  });
});
