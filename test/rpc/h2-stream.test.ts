/**
 * The lean server-streaming client (src/rpc/h2-stream-call.ts) against grpc-js's own server and
 * the fast path: messages in order with the trailing status, errors mid-stream (a Kubernetes
 * Status rebuilt from the trailer) and before any message, back-pressure (a consumer that does
 * not read stops the server's writer), cancel and break, a deadline, and a server shut down
 * under an open stream.
 */
import assert from 'node:assert/strict';
import { status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { statusErrorFromServiceError } from '../../src/rpc/kube-status.js';
import { H2Channel } from '../../src/rpc/h2-client.js';
import { h2ServerStream } from '../../src/rpc/h2-stream-call.js';
import { startFeed, type Feed } from './fast-stream-fixture.js';

const id = (b: Buffer): Buffer => b;
const FEED = { path: '/test.Feed/Feed', requestSerialize: id, responseDeserialize: id };

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
};

/** drain reads a whole stream: its messages, then the error it ended with (if any). */
async function drain(ch: H2Channel, req: string, timeoutMs?: number) {
  const s = h2ServerStream(ch, FEED, Buffer.from(req), undefined, timeoutMs);
  const statuses: StatusObject[] = [];
  s.on('status', (st: StatusObject) => statuses.push(st));
  const got: string[] = [];
  let err: ServiceError | undefined;
  try {
    for await (const m of s) got.push((m as Buffer).toString());
  } catch (e) {
    err = e as ServiceError;
  }
  await new Promise((r) => setImmediate(r));
  return { got, err, statuses };
}

for (const fast of [false, true]) {
  describe(`rpc/h2-stream: server streams against ${fast ? 'the fast path' : 'grpc-js'}`, () => {
    let feed: Feed;
    let ch: H2Channel;
    beforeEach(async () => {
      feed = await startFeed(fast);
      ch = new H2Channel({ target: `127.0.0.1:${feed.port}` });
      await ch.ready(5_000);
    });
    afterEach(() => {
      ch.close();
      feed.server.forceShutdown();
    });

    it('reads every message in order, then the OK status with trailing metadata', async () => {
      const r = await drain(ch, 'three');
      assert.deepEqual(r.got, ['a', 'bb', 'ccc']);
      assert.equal(r.err, undefined);
      assert.equal(r.statuses[0]?.code, status.OK);
      assert.deepEqual(r.statuses[0]?.metadata.get('x-count'), ['3']);
      assert.deepEqual((await drain(ch, 'empty')).got, []);
    });

    it('an error mid-stream comes after the messages before it, with its Status', async () => {
      const r = await drain(ch, 'fail-mid');
      assert.deepEqual(r.got, ['first']);
      assert.equal(r.err?.code, status.OUT_OF_RANGE);
      const s = statusErrorFromServiceError(r.err!);
      assert.equal(s?.status.code, 410);
      assert.equal(s?.status.message, 'too old: 100% 日本');
      const first = await drain(ch, 'fail-first');
      assert.equal(first.err?.code, status.NOT_FOUND);
      assert.equal(first.err?.details, 'no such feed');
    });

    it('a consumer that does not read stops the server; reading lets it finish', async () => {
      const n = 200; // 3.2 MiB
      const s = h2ServerStream(ch, FEED, Buffer.from(`many:${n}`), undefined);
      const it = s[Symbol.asyncIterator]();
      await it.next();
      await new Promise((r) => setTimeout(r, 150));
      assert.ok(feed.log.written < n / 2, `server held back (${feed.log.written} written)`);
      let count = 1;
      for (let r = await it.next(); !r.done; r = await it.next()) {
        assert.equal((r.value as Buffer).readUInt32BE(0), count++);
      }
      assert.equal(count, n);
    });

    it('cancel() and break reset the stream; the server sees cancelled', async () => {
      const s = h2ServerStream(ch, FEED, Buffer.from('many:1000'), undefined);
      const errors: ServiceError[] = [];
      s.on('error', (e: ServiceError) => errors.push(e));
      s.once('data', () => s.cancel());
      await until(() => errors.length === 1, 'cancel ends the stream with an error');
      assert.equal(errors[0]?.code, status.CANCELLED);
      await until(() => feed.log.cancelled === 1, 'server saw the cancel');
      for await (const _ of h2ServerStream(ch, FEED, Buffer.from('many:1000'), undefined)) break;
      await until(() => feed.log.cancelled === 2, 'server saw the break');
    });

    it('a deadline ends the stream DEADLINE_EXCEEDED', async () => {
      const s = h2ServerStream(ch, FEED, Buffer.from('many:100000'), undefined, 100);
      s.pause();
      const err = await new Promise<ServiceError>((r) => s.on('error', r));
      assert.equal(err.code, status.DEADLINE_EXCEEDED);
    });

    it('a server shut down under an open stream ends it with an error, no crash', async () => {
      const s = h2ServerStream(ch, FEED, Buffer.from('many:100000'), undefined);
      s.pause();
      await until(() => feed.log.refused > 0, 'stream open');
      const err = new Promise<ServiceError>((r) => s.on('error', r));
      feed.server.forceShutdown();
      assert.equal((await err).code, status.UNAVAILABLE);
      await until(() => feed.log.cancelled === 1, 'handler told');
    });
  });
}
