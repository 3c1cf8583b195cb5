/**
 * The lean unary client (src/rpc/h2-client*.ts) against a plain grpc-js server: answers,
 * metadata both ways (text and -bin), statuses with percent-encoded messages and trailing
 * metadata, answers split over many DATA frames, deadlines, size limits, the "never reached a
 * server" failures, reconnection and mutual TLS. Real etcd (grpc-go) is covered by the store
 * client's conformance suite (test/store/client/etcd.test.ts), which runs over this client.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Metadata,
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { serverCredentials } from '../../src/rpc/credentials.js';
import { NOT_SENT_DETAILS, UnavailableRpcError } from '../../src/rpc/errors.js';
import { h2Unary } from '../../src/rpc/h2-client-call.js';
import { frameMessage } from '../../src/rpc/fast-unary-frame.js';
import { MessageReader } from '../../src/rpc/h2-client-frames.js';
import { H2Channel, type H2ChannelOptions } from '../../src/rpc/h2-client.js';
import { makePki } from '../support/pki.js';

type Handler = (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => void;

const id = (b: Buffer): Buffer => b;
const ECHO = { path: '/t.Echo/Echo', requestSerialize: id, responseDeserialize: id };

async function serve(h: Handler, creds = ServerCredentials.createInsecure(), port = 0) {
  const server = new Server();
  const def = {
    ...ECHO,
    requestStream: false,
    responseStream: false,
    requestDeserialize: id,
    responseSerialize: id,
  };
  server.addService({ Echo: def }, { Echo: h });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, creds, (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { server, port: bound, target: `127.0.0.1:${bound}` };
}

function call(ch: H2Channel, req: Buffer, md?: Metadata, timeoutMs = 5_000) {
  return new Promise<{ err: ServiceError | null; res: Buffer | undefined }>((resolve) =>
    h2Unary(ch, ECHO, req, md, timeoutMs, (err, res) => resolve({ err, res })),
  );
}

describe('rpc/h2-client: unary calls against grpc-js', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => cleanup.splice(0).forEach((f) => f()));
  async function setup(h: Handler, o: Partial<H2ChannelOptions> = {}) {
    const s = await serve(h);
    const ch = new H2Channel({ target: s.target, ...o });
    cleanup.push(() => ch.close(), () => s.server.forceShutdown());
    await ch.ready(2_000);
    return { ...s, ch };
  }

  it('answers, with request metadata (text and -bin) reaching the handler', async () => {
    const { ch } = await setup((c, cb) => {
      const bin = (c.metadata.get('x-b-bin')[0] as Buffer).toString('hex');
      const seen = `${String(c.metadata.get('x-a')[0])}|${bin}`;
      cb(null, Buffer.concat([c.request, Buffer.from(seen)]));
    });
    const md = new Metadata();
    md.set('x-a', 'one');
    md.set('x-b-bin', Buffer.from([0, 1, 255]));
    const r = await call(ch, Buffer.from('hi:'), md);
    assert.equal(r.err, null);
    assert.equal(r.res?.toString(), 'hi:one|0001ff');
  });

  it('reassembles an answer split over many DATA frames; an empty message is one', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x61);
    big.writeUInt32BE(0xdeadbeef, big.length - 4);
    const { ch } = await setup((c, cb) => cb(null, c.request.length === 0 ? Buffer.alloc(0) : big));
    const r = await call(ch, Buffer.from('x'));
    assert.ok(r.res?.equals(big));
    const empty = await call(ch, Buffer.alloc(0));
    assert.equal(empty.err, null);
    assert.equal(empty.res?.length, 0);
  });

  it('fails with the code, the percent-decoded message and the trailing metadata', async () => {
    const details = 'nope: 100% "ünïcode"\nline two';
    const { ch } = await setup((_c, cb) => {
      const metadata = new Metadata();
      metadata.set('k8ts-status-bin', Buffer.from('{"code":409}'));
      metadata.set('x-why', 'because');
      cb({ code: status.ABORTED, details, metadata });
    });
    const r = await call(ch, Buffer.from('x'));
    assert.equal(r.err?.code, status.ABORTED);
    assert.equal(r.err?.details, details);
    assert.equal(r.err?.message, `10 ABORTED: ${details}`);
    assert.equal((r.err?.metadata.get('k8ts-status-bin')[0] as Buffer).toString(), '{"code":409}');
    assert.deepEqual(r.err?.metadata.get('x-why'), ['because']);
    assert.deepEqual(r.err?.metadata.get('grpc-status'), []);
  });

  it('a deadline resets the stream, fails DEADLINE_EXCEEDED; the server sees it', async () => {
    let cancelled = false;
    const { ch } = await setup((c) => c.on('cancelled', () => (cancelled = true)));
    const started = Date.now();
    const r = await call(ch, Buffer.from('x'), undefined, 150);
    assert.equal(r.err?.code, status.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - started < 1_000);
    for (let i = 0; i < 100 && !cancelled; i++) await new Promise((res) => setTimeout(res, 10));
    assert.ok(cancelled, 'the server saw the call end');
    const again = await call(ch, Buffer.from('y'), undefined, 50);
    assert.equal(again.err?.code, status.DEADLINE_EXCEEDED);
  });

  it('deadlines out of order each expire on time (two queues, then a timer of its own)', async () => {
    // The answered call's 2 s takes the first queue and leaves it when answered; 1,500 ms takes
    // the second queue; 600 and 200 ms neither (timers of their own).
    const { ch } = await setup((c, cb) => {
      if (c.request.toString() === 'answer') cb(null, Buffer.from('ok'));
    });
    const started = Date.now();
    const at = (p: Promise<{ err: ServiceError | null }>) =>
      p.then((r) => ({ code: r.err?.code, ms: Date.now() - started }));
    const [answered, slow, mid, fast] = await Promise.all([
      at(call(ch, Buffer.from('answer'), undefined, 2_000)),
      at(call(ch, Buffer.from('x'), undefined, 1_500)),
      at(call(ch, Buffer.from('x'), undefined, 600)),
      at(call(ch, Buffer.from('x'), undefined, 200)),
    ]);
    assert.equal(answered.code, undefined);
    for (const [r, ms] of [[slow, 1_500], [mid, 600], [fast, 200]] as const) {
      assert.equal(r.code, status.DEADLINE_EXCEEDED);
      assert.ok(r.ms >= ms - 5 && r.ms < ms + 400, `${ms} ms deadline expired after ${r.ms} ms`);
    }
    assert.ok(ch.deadlines.every((q) => q.length === 0 && !q.armed), 'no deadline left queued');
  });

  it('enforces the message size limit both ways', async () => {
    const { ch } = await setup((c, cb) => cb(null, Buffer.alloc(Number(c.request.toString()))), {
      maxMessageBytes: 1_000,
    });
    assert.equal((await call(ch, Buffer.from('1000'))).res?.length, 1_000);
    const tooBig = await call(ch, Buffer.from('1001'));
    assert.equal(tooBig.err?.code, status.RESOURCE_EXHAUSTED);
    assert.match(tooBig.err?.details ?? '', /Received message larger than max \(1001 vs\. 1000\)/);
    const sent = await call(ch, Buffer.alloc(1_001));
    assert.equal(sent.err?.code, status.RESOURCE_EXHAUSTED);
    assert.match(sent.err?.details ?? '', /Sent message larger than max/);
    // A method that frames its own request (requestFramed) is held to the same limit, its
    // message counted without the prefix, and sent as it framed it.
    const framed = { ...ECHO, requestFramed: (b: Buffer) => frameMessage(b) };
    const viaFramed = (req: Buffer) => new Promise<{ err: ServiceError | null; res?: Buffer }>((resolve) =>
      h2Unary(ch, framed, req, undefined, 5_000, (err, res) => resolve({ err, res })));
    assert.equal((await viaFramed(Buffer.from('1000'))).res?.length, 1_000);
    const atLimit = await viaFramed(Buffer.from('5'.padStart(1_000, '0')));
    assert.equal(atLimit.res?.length, 5, 'a 1,000-byte request is within the limit');
    const framedTooBig = await viaFramed(Buffer.alloc(1_001));
    assert.equal(framedTooBig.err?.code, status.RESOURCE_EXHAUSTED);
    assert.match(framedTooBig.err?.details ?? '', /Sent message larger than max \(1001 vs\. 1000\)/);
  });

  it('keepalive pings an idle session and keeps it (the server answers them)', async () => {
    const keepalive = { timeMs: 20, timeoutMs: 500, withoutCalls: true };
    const { ch } = await setup((c, cb) => cb(null, c.request), { keepalive });
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(ch.isReady(), 'still connected after ~10 pings');
    assert.equal((await call(ch, Buffer.from('k'))).res?.toString(), 'k');
  });

  it('keepalive keeps a healthy session across the client\'s own stalls', async () => {
    // The client's loop is blocked 250 ms at a time, longer than the ping timeout: a ping's
    // answer arrives during a stall and waits in the socket while the timeout expires. Only a
    // ping the loop has had a chance to read the answer of may count as unanswered.
    const keepalive = { timeMs: 50, timeoutMs: 200, withoutCalls: true };
    const { ch } = await setup((c, cb) => cb(null, c.request), { keepalive });
    const busy = setInterval(() => {
      const until = Date.now() + 250;
      while (Date.now() < until);
    }, 50);
    await new Promise((r) => setTimeout(r, 1_500));
    clearInterval(busy);
    await new Promise((r) => setTimeout(r, 300)); // answers still in flight arrive
    assert.ok(ch.isReady(), 'a stall of its own must not drop the session');
    const after = await call(ch, Buffer.from('s'));
    assert.equal(after.res?.toString(), 's', String(after.err?.message));
  });

  it('GOAWAY: a call in flight finishes; the next ready() needs a new connection', async () => {
    const answers: (() => void)[] = [];
    const { ch, server } = await setup((c, cb) => answers.push(() => cb(null, c.request)));
    const pending = call(ch, Buffer.from('g'));
    while (answers.length < 1) await new Promise((r) => setTimeout(r, 5));
    server.tryShutdown(() => undefined);
    for (let i = 0; i < 100 && ch.isReady(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(ch.isReady(), false, 'the GOAWAY retired the session');
    answers[0]?.();
    assert.equal((await pending).res?.toString(), 'g');
    await assert.rejects(ch.ready(1_000), UnavailableRpcError);
  });

  it('a GOAWAY with an error code: calls above its last stream id fail as not sent, others as dropped',
    async () => {
      // A raw server that, on the second call (stream 3), sends GOAWAY CANCEL naming lastSeen
      // as processed and drops the session, as a stopping server's forceShutdown does.
      const outcome = async (lastSeen: number) => {
        const server = http2.createServer();
        server.on('stream', (st, _h) => {
          st.on('error', () => undefined); // refused or destroyed under the GOAWAY
          if (st.id === 1) {
            st.respond({ ':status': 200, 'content-type': 'application/grpc' },
              { waitForTrailers: true });
            st.on('wantTrailers', () => st.sendTrailers({ 'grpc-status': '0' }));
            st.end(frameMessage(Buffer.from('one')));
            return;
          }
          st.session?.goaway(http2.constants.NGHTTP2_CANCEL, lastSeen);
          setTimeout(() => st.session?.destroy(), 20);
        });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        const port = (server.address() as { port: number }).port;
        const ch = new H2Channel({ target: `127.0.0.1:${port}` });
        try {
          await ch.ready(2_000);
          assert.equal((await call(ch, Buffer.from('a'))).res?.toString(), 'one');
          return (await call(ch, Buffer.from('b'))).err;
        } finally {
          ch.close();
          server.close();
        }
      };
      const unseen = await outcome(1);
      assert.equal(unseen?.code, status.UNAVAILABLE);
      assert.match(unseen?.details ?? '', NOT_SENT_DETAILS, 'above the last stream id: not sent');
      const seen = await outcome(3);
      assert.equal(seen?.code, status.UNAVAILABLE);
      assert.doesNotMatch(seen?.details ?? '', NOT_SENT_DETAILS, 'processed: it may have run');
      assert.match(seen?.details ?? '', /Connection dropped/);
    });

  it('never connected: ready rejects Unavailable at once; a call fails as not sent', async () => {
    const s = await serve((c, cb) => cb(null, c.request));
    s.server.forceShutdown();
    const ch = new H2Channel({ target: s.target });
    cleanup.push(() => ch.close());
    await assert.rejects(ch.ready(2_000), UnavailableRpcError);
    const started = Date.now();
    await assert.rejects(ch.ready(2_000), UnavailableRpcError); // in backoff: no waiting
    assert.ok(Date.now() - started < 50);
    const r = await call(ch, Buffer.from('x'));
    assert.equal(r.err?.code, status.UNAVAILABLE);
    assert.match(r.err?.details ?? '', NOT_SENT_DETAILS);
  });

  it('reconnects after the server went away and came back on the same port', async () => {
    const first = await serve((c, cb) => cb(null, c.request));
    const ch = new H2Channel({ target: first.target });
    cleanup.push(() => ch.close());
    await ch.ready(2_000);
    assert.equal((await call(ch, Buffer.from('a'))).res?.toString(), 'a');
    first.server.forceShutdown();
    await new Promise((r) => setTimeout(r, 50));
    const twice: Handler = (c, cb) => cb(null, Buffer.concat([c.request, c.request]));
    const second = await serve(twice, undefined, first.port);
    cleanup.push(() => second.server.forceShutdown());
    let answer: string | undefined;
    for (let i = 0; i < 40 && answer === undefined; i++) {
      try {
        await ch.ready(500);
        answer = (await call(ch, Buffer.from('b'))).res?.toString();
      } catch {
        await new Promise((r) => setTimeout(r, 100)); // backoff after a refused attempt
      }
    }
    assert.equal(answer, 'bb');
  });
});

describe('rpc/h2-client: mutual TLS', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-h2-client-'));
    makePki(dir, ['server']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const files = (n: string) => ({
    caFile: join(dir, 'ca.crt'), certFile: join(dir, `${n}.crt`), keyFile: join(dir, `${n}.key`),
  });

  it('presents the client certificate and verifies the server against the CA', async () => {
    const s = await serve((c, cb) => {
      cb(null, Buffer.from(String(c.getAuthContext().sslPeerCertificate?.subject.CN ?? '-')));
    }, serverCredentials(files('server')));
    const ch = new H2Channel({ target: s.target, tls: files('client') });
    try {
      await ch.ready(2_000);
      assert.equal((await call(ch, Buffer.from('x'))).res?.toString(), 'client');
    } finally {
      ch.close();
      s.server.forceShutdown();
    }
  });
});

describe('rpc/h2-client: message reader', () => {
  it('reassembles messages split at every byte boundary', () => {
    const a = frameMessage(Buffer.from('hello'));
    const wire = Buffer.concat([a]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const r = new MessageReader(100);
      assert.equal(r.push(wire.subarray(0, cut)), undefined);
      assert.equal(r.push(wire.subarray(cut)), undefined);
      assert.equal(r.messages.length, 1);
      assert.equal(r.messages[0]?.toString(), 'hello');
      assert.equal(r.partial, false);
    }
  });

  it('refuses a message over the limit from its prefix, and compressed messages', () => {
    const prefix = Buffer.from([0, 0, 0, 0, 101]);
    assert.match(new MessageReader(100).push(prefix) ?? '', /larger than max \(101 vs\. 100\)/);
    assert.match(new MessageReader(100).push(Buffer.from([1, 0, 0, 0, 1, 0])) ?? '', /compressed/);
  });

  it('reports a truncated message as partial', () => {
    const r = new MessageReader(100);
    r.push(frameMessage(Buffer.from('hello')).subarray(0, 7));
    assert.equal(r.partial, true);
    assert.equal(r.messages.length, 0);
  });
});
