/**
 * requestOn (src/rpc/h2-request.ts): leanBind keeps AsyncResource#bind's semantics (the
 * resource's async context, this, arguments, return value) without the deprecated accessor;
 * requestOn puts the original bind back (also when request() throws) and its streams work,
 * whether the session is connected or still connecting (the bound connect callback runs later).
 */
import assert from 'node:assert/strict';
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import http2, { type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { leanBind, requestOn } from '../../src/rpc/h2-request.js';

describe('rpc/h2-request: request() without the per-call bind cost', () => {
  let server: Http2Server;
  let port: number;
  before(async () => {
    server = http2.createServer();
    server.on('stream', (st) => {
      st.respond({ ':status': 200 });
      st.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('leanBind runs fn in the resource\'s context with this, arguments and return value', () => {
    const als = new AsyncLocalStorage<string>();
    const resource = als.run('at-creation', () => new AsyncResource('T'));
    const target = { n: 1 };
    const bound = als.run('at-call', () => leanBind.call(resource, function (this: unknown, a: unknown, b: unknown) {
      return [als.getStore(), this, a, b];
    }));
    assert.deepEqual(bound.call(target, 2, 3), ['at-creation', target, 2, 3]);
    const fixed = leanBind.call(resource, function (this: unknown) {
      return this;
    }, target);
    assert.equal(fixed.call({ other: true }), target, 'thisArg wins, as bind\'s does');
    assert.equal('asyncResource' in bound, false, 'no deprecated accessor');
  });

  it('requests work on a connecting and a connected session; bind is restored each time', async () => {
    const original = AsyncResource.prototype.bind;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const get = (): Promise<string> => new Promise((resolve, reject) => {
        const st = requestOn(session, { ':path': '/' });
        assert.equal(AsyncResource.prototype.bind, original);
        let body = '';
        st.on('data', (d: Buffer) => (body += d.toString()));
        st.on('error', reject);
        st.on('close', () => resolve(body));
      });
      assert.equal(session.connecting, true);
      assert.equal(await get(), 'ok', 'queued until connected');
      assert.equal(await get(), 'ok', 'connected');
      session.close();
      assert.throws(() => requestOn(session, { ':path': '/' }), /ERR_HTTP2_GOAWAY_SESSION|closed/i);
      assert.equal(AsyncResource.prototype.bind, original, 'restored after a throwing request()');
    } finally {
      session.destroy();
    }
  });
});
