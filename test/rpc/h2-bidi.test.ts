/**
 * The lean bidi client (src/rpc/h2-bidi-call.ts) against grpc-js's server: requests written on an
 * open request side and answered in order, half-close, a server that ends the call (OK or an
 * error) while the request side is still open, cancel, back-pressure (a paused call stops the
 * server's writer, resume lets it finish), a request over the size limit, a channel that is not
 * connected, and a server shut down under an open call. The etcd store client's suites run it
 * against grpc-go (etcd) and the k8ts store too.
 */
import assert from 'node:assert/strict';
import {
  Metadata, Server, ServerCredentials, status, type ServerDuplexStream, type ServiceDefinition,
} from '@grpc/grpc-js';
import { h2Bidi, type H2BidiCall } from '../../src/rpc/h2-bidi-call.js';
import type { GrpcStatus } from '../../src/rpc/h2-client-status.js';
import { H2Channel } from '../../src/rpc/h2-client.js';
import { bind } from '../../src/rpc/server.js';

const id = (b: Buffer): Buffer => b;
const CHAT = { path: '/test.Chat/Chat', requestSerialize: id, responseDeserialize: id };
const SERVICE: ServiceDefinition = {
  Chat: {
    path: CHAT.path, requestStream: true, responseStream: true,
    requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id,
  },
};
const BIG = 16 * 1024;

/** What the server's handler saw. */
interface Log {
  received: string[];
  halfClosed: boolean;
  cancelled: boolean;
  written: number;
}

/**
 * chat answers each request: "echo:<x>" → x; "end-ok" → OK with trailer x-n (requests seen);
 * "fail" → NOT_FOUND; "many:<n>" → n 16 KiB messages as fast as write() allows, then OK.
 * A half-close ends the call OK after the answers.
 */
function chat(call: ServerDuplexStream<Buffer, Buffer>, log: Log): void {
  call.on('cancelled', () => (log.cancelled = true));
  call.on('data', (b: Buffer) => {
    const req = b.toString();
    log.received.push(req);
    if (req.startsWith('echo:')) call.write(Buffer.from(req.slice(5)));
    else if (req === 'end-ok') {
      const t = new Metadata();
      t.set('x-n', String(log.received.length));
      call.end(t);
    } else if (req === 'fail') call.emit('error', { code: status.NOT_FOUND, details: 'no such chat' });
    else if (req.startsWith('many:')) {
      let left = Number(req.slice(5));
      const more = (): void => {
        while (left > 0) {
          left--;
          log.written++;
          if (!call.write(Buffer.alloc(BIG, 1))) return void call.once('drain', more);
        }
        call.end();
      };
      more();
    }
  });
  call.on('end', () => {
    log.halfClosed = true;
    if (call.writable) call.end();
  });
}

interface Seen {
  got: string[];
  end: Promise<GrpcStatus>;
  call: H2BidiCall<Buffer>;
}

function open(ch: H2Channel): Seen {
  const got: string[] = [];
  let settle!: (s: GrpcStatus) => void;
  const end = new Promise<GrpcStatus>((r) => (settle = r));
  const call = h2Bidi(ch, CHAT, undefined, {
    message: (b) => got.push(b.length > 100 ? `<${b.length}>` : b.toString()),
    end: (s) => settle(s),
  });
  return { got, end, call };
}

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
};

describe('rpc/h2-bidi: bidi calls against grpc-js', () => {
  let server: Server;
  let log: Log;
  let ch: H2Channel;
  beforeEach(async () => {
    server = new Server();
    log = { received: [], halfClosed: false, cancelled: false, written: 0 };
    server.addService(SERVICE, { Chat: (c: ServerDuplexStream<Buffer, Buffer>) => chat(c, log) });
    const port = await bind(server, '127.0.0.1:0', ServerCredentials.createInsecure());
    ch = new H2Channel({ target: `127.0.0.1:${port}`, maxMessageBytes: 64 * 1024 });
    await ch.ready(5_000);
  });
  afterEach(() => {
    ch.close();
    server.forceShutdown();
  });

  it('answers requests written one by one on the open call; half-close ends it OK', async () => {
    const s = open(ch);
    assert.equal(s.call.write(Buffer.from('echo:a')), true);
    await until(() => s.got.length === 1, 'first answer before the next request');
    s.call.write(Buffer.from('echo:bb'));
    s.call.write(Buffer.from('echo:'));
    await until(() => s.got.length === 3, 'three answers');
    assert.equal(s.call.ended, false);
    s.call.end();
    const st = await s.end;
    assert.equal(st.code, status.OK);
    assert.deepEqual(s.got, ['a', 'bb', '']);
    assert.equal(log.halfClosed, true);
    assert.equal(s.call.write(Buffer.from('echo:late')), false, 'nothing is sent after the end');
  });

  it('a server that ends the call while the request side is open settles it (OK or error)', async () => {
    const ok = open(ch);
    ok.call.write(Buffer.from('echo:x'));
    ok.call.write(Buffer.from('end-ok'));
    const st = await ok.end;
    assert.equal(st.code, status.OK);
    assert.deepEqual(ok.got, ['x']);
    assert.equal(st.headers?.['x-n'], '2');
    const bad = open(ch);
    bad.call.write(Buffer.from('echo:y'));
    bad.call.write(Buffer.from('fail'));
    const err = await bad.end;
    assert.equal(err.code, status.NOT_FOUND);
    assert.equal(err.details, 'no such chat');
    assert.deepEqual(bad.got, ['y'], 'the message before the error is delivered first');
  });

  it('cancel resets the stream: CANCELLED here, cancelled at the server, no message after', async () => {
    const s = open(ch);
    s.call.write(Buffer.from('echo:a'));
    await until(() => s.got.length === 1, 'an answer');
    s.call.cancel();
    const st = await s.end;
    assert.equal(st.code, status.CANCELLED);
    await until(() => log.cancelled, 'the server saw the cancel');
    assert.equal(s.call.write(Buffer.from('echo:b')), false);
    s.call.cancel(); // a second cancel is a no-op
  });

  it('a paused call stops the server writing; resume lets it finish with every message', async () => {
    const n = 200; // 3.2 MiB
    const s = open(ch);
    s.call.pause();
    s.call.write(Buffer.from(`many:${n}`));
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(log.written < n / 2, `server held back (${log.written} written)`);
    assert.ok(s.got.length < n / 2, `client held back (${s.got.length} delivered)`);
    s.call.resume(); // the server ends the call after its last message
    const st = await s.end;
    assert.equal(st.code, status.OK);
    assert.equal(s.got.length, n);
  });

  it('a request over the size limit ends the call RESOURCE_EXHAUSTED', async () => {
    const s = open(ch);
    assert.equal(s.call.write(Buffer.alloc(65 * 1024)), false);
    const st = await s.end;
    assert.equal(st.code, status.RESOURCE_EXHAUSTED);
    assert.match(st.details, /Sent message larger than max/);
  });

  it('a channel that is not connected ends the call UNAVAILABLE on a later tick', async () => {
    const idle = new H2Channel({ target: '127.0.0.1:1' });
    let opening = true;
    let calledWhileOpening = false;
    let call!: H2BidiCall<Buffer>;
    const st = await new Promise<GrpcStatus>((resolve) => {
      call = h2Bidi(idle, CHAT, undefined, {
        message: () => assert.fail('no message'),
        end: (x) => {
          calledWhileOpening = opening;
          resolve(x);
        },
      });
      opening = false;
    });
    assert.equal(calledWhileOpening, false);
    assert.equal(st.code, status.UNAVAILABLE);
    assert.match(st.details, /No connection established/);
    assert.equal(call.write(Buffer.from('echo:a')), false);
    idle.close();
  });

  it('a server shut down under an open call ends it with an error, no crash', async () => {
    const s = open(ch);
    s.call.write(Buffer.from('echo:a'));
    await until(() => s.got.length === 1, 'an answer');
    server.forceShutdown();
    const st = await s.end;
    assert.notEqual(st.code, status.OK);
  });
});
