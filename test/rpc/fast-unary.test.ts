/**
 * The fast unary path (src/rpc/fast-unary*.ts) seen from a grpc-js client: every answer shape a
 * grpc-js server gives — success, error statuses with metadata (incl. -bin keys), trailers-only
 * and headers+trailers errors, message size limits, deadlines, client cancellation.
 */
import assert from 'node:assert/strict';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { fastStreamServed, fastUnaryServed } from '../../src/rpc/fast-unary.js';
import { startEcho, type Fixture, type UnaryImpl } from './fast-unary-fixture.js';

describe('rpc/fast-unary: grpc-js client against the fast path', () => {
  let f: Fixture | undefined;
  afterEach(() => {
    f?.close();
    f = undefined;
  });
  async function serve(impl: UnaryImpl, o: Parameters<typeof startEcho>[1] = {}): Promise<Fixture> {
    f = await startEcho(impl, o);
    return f;
  }

  it('echoes a message and serves it on the fast path', async () => {
    const fx = await serve((call, cb) => cb(null, Buffer.concat([call.request, Buffer.from('!')])));
    const r = await fx.echo(Buffer.from('hello'));
    assert.equal(r.res?.toString(), 'hello!');
    assert.equal(fastUnaryServed(fx.server), 1);
    const empty = await fx.echo(Buffer.alloc(0));
    assert.equal(empty.res?.toString(), '!', 'an empty request message is one message');
  });

  it('hands the handler metadata, peer, deadline and path as grpc-js does', async () => {
    let seen: { md: Metadata; peer: string; deadline: number; path: string } | undefined;
    const fx = await serve((call, cb) => {
      seen = {
        md: call.metadata, peer: call.getPeer(),
        deadline: Number(call.getDeadline()), path: call.getPath(),
      };
      cb(null, call.request);
    });
    const md = new Metadata();
    md.set('traceparent', '00-abc-def-01');
    md.set('blob-bin', Buffer.from([0, 1, 255]));
    const before = Date.now();
    await fx.echo(Buffer.from('x'), { md, deadlineMs: 3_000 });
    assert.ok(seen);
    assert.deepEqual(seen.md.get('traceparent'), ['00-abc-def-01']);
    assert.deepEqual(seen.md.get('blob-bin'), [Buffer.from([0, 1, 255])]);
    for (const k of ['grpc-timeout', 'content-type', 'te', 'grpc-accept-encoding']) {
      assert.deepEqual(seen.md.get(k), [], `${k} is transport, not metadata`);
    }
    assert.match(seen.peer, /^127\.0\.0\.1:\d+$/);
    assert.ok(seen.deadline > before + 2_000 && seen.deadline <= Date.now() + 3_000);
    assert.equal(seen.path, '/test.Echo/Echo');
  });

  it('sends trailer metadata with a success', async () => {
    const fx = await serve((call, cb) => {
      const t = new Metadata();
      t.set('x-count', '7');
      t.set('x-raw-bin', Buffer.from('\u00ff\u0000'));
      cb(null, call.request, t);
    });
    const r = await fx.echo(Buffer.from('x'));
    assert.deepEqual(r.trailers?.get('x-count'), ['7']);
    assert.deepEqual(r.trailers?.get('x-raw-bin'), [Buffer.from('\u00ff\u0000')]);
  });

  it('answers an error status with details (percent-encoded) and -bin metadata', async () => {
    const details = 'not leader; 100% sure: 日本 \n tab\t';
    const fx = await serve((_call, cb) => {
      const md = new Metadata();
      md.set('k8s-status-bin', Buffer.from([8, 1, 0, 200]));
      md.set('x-reason', 'because');
      cb({ code: status.FAILED_PRECONDITION, details, metadata: md } as ServiceError);
    });
    const r = await fx.echo(Buffer.from('x'));
    assert.equal(r.err?.code, status.FAILED_PRECONDITION);
    assert.equal(r.err?.details, details);
    assert.deepEqual(r.err?.metadata.get('k8s-status-bin'), [Buffer.from([8, 1, 0, 200])]);
    assert.deepEqual(r.err?.metadata.get('x-reason'), ['because']);
    assert.equal(r.headers, undefined, 'trailers-only: no separate response headers');
  });

  it('maps a plain Error to UNKNOWN with its message, and a throw to UNKNOWN', async () => {
    const fx = await serve((call, cb) => {
      if (call.request.toString() === 'throw') throw new Error('boom');
      cb(new Error('plain failure'));
    });
    const plain = await fx.echo(Buffer.from('x'));
    assert.equal(plain.err?.code, status.UNKNOWN);
    assert.equal(plain.err?.details, 'plain failure');
    const thrown = await fx.echo(Buffer.from('throw'));
    assert.equal(thrown.err?.code, status.UNKNOWN);
    assert.equal(thrown.err?.details, 'Unknown error');
  });

  it('sends headers first when the handler calls sendMetadata, then trailers', async () => {
    const fx = await serve((call, cb) => {
      const h = new Metadata();
      h.set('x-early', 'yes');
      call.sendMetadata(h);
      const failed = call.request.toString() === 'fail';
      if (failed) cb({ code: status.ABORTED, details: 'late' } as ServiceError);
      else cb(null, call.request);
    });
    const ok = await fx.echo(Buffer.from('ok'));
    assert.deepEqual(ok.headers?.get('x-early'), ['yes']);
    assert.equal(ok.res?.toString(), 'ok');
    const bad = await fx.echo(Buffer.from('fail'));
    assert.deepEqual(bad.headers?.get('x-early'), ['yes']);
    assert.equal(bad.err?.code, status.ABORTED);
    assert.equal(bad.err?.details, 'late');
  });

  it('carries large messages both ways (8 MiB)', async function () {
    this.timeout(20_000);
    const fx = await serve((call, cb) => cb(null, Buffer.concat([call.request, call.request])));
    const big = Buffer.alloc(4 * 1024 * 1024, 7);
    big[12345] = 9;
    const r = await fx.echo(big, { deadlineMs: 15_000 });
    assert.equal(r.res?.length, 8 * 1024 * 1024);
    assert.equal(r.res?.[12345], 9);
    assert.equal(r.res?.[4 * 1024 * 1024 + 12345], 9);
  });

  it('refuses messages over the limits with RESOURCE_EXHAUSTED, as grpc-js', async () => {
    const fx = await serve((call, cb) => cb(null, Buffer.alloc(call.request.length * 2)), {
      limits: 1024,
    });
    const tooBigIn = await fx.echo(Buffer.alloc(2000));
    assert.equal(tooBigIn.err?.code, status.RESOURCE_EXHAUSTED);
    assert.equal(tooBigIn.err?.details, 'Received message larger than max (2000 vs 1024)');
    const tooBigOut = await fx.echo(Buffer.alloc(600));
    assert.equal(tooBigOut.err?.code, status.RESOURCE_EXHAUSTED);
    assert.equal(tooBigOut.err?.details, 'Sent message larger than max (1205 vs. 1024)');
    const fits = await fx.echo(Buffer.alloc(512));
    assert.equal(fits.res?.length, 1024);
  });

  it('ends a call past its deadline with DEADLINE_EXCEEDED and cancels the handler', async () => {
    let cancelled: Promise<boolean> | undefined;
    const fx = await serve((call, cb) => {
      cancelled = new Promise((resolve) => call.on('cancelled', () => resolve(call.cancelled)));
      void cancelled.then(() => cb(null, call.request)); // a late answer must be dropped
    });
    const r = await fx.echo(Buffer.from('slow'), { deadlineMs: 150 });
    assert.equal(r.err?.code, status.DEADLINE_EXCEEDED);
    assert.equal(await cancelled, true);
  });

  it('tells the handler when the client cancels, and ignores its later answer', async () => {
    let late: (() => void) | undefined;
    let onCancel: Promise<void> | undefined;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const fx = await serve((call, cb) => {
      if (call.request.toString() === 'after') return cb(null, call.request);
      onCancel = new Promise((resolve) => call.on('cancelled', () => resolve()));
      late = () => cb(null, call.request);
      started();
    });
    type Cancellable = { cancel(): void; on(e: string, fn: () => void): void };
    const echoFn = (fx.client as unknown as Record<string, (...a: unknown[]) => Cancellable>).Echo;
    const deadline = Date.now() + 5_000;
    const call = echoFn!.call(fx.client, Buffer.from('x'), new Metadata(), { deadline }, () => 0);
    await running;
    call.cancel();
    await onCancel;
    late?.();
    const r = await fx.echo(Buffer.from('after'));
    assert.equal(r.res?.toString(), 'after', 'the server still serves');
  });

  it('serves server-streaming methods on the fast path too (a grpc-js client reads them)', async () => {
    const fx = await serve((call, cb) => cb(null, call.request));
    const got: string[] = [];
    type Readable = { on(e: string, fn: (x: Buffer) => void): void };
    const repeat = (fx.client as unknown as Record<string, (...a: unknown[]) => Readable>).Repeat;
    const stream = repeat!.call(fx.client, Buffer.from('r'), new Metadata(), {});
    await new Promise<void>((resolve) => {
      stream.on('data', (b) => got.push(b.toString()));
      stream.on('status', () => resolve());
    });
    assert.deepEqual(got, ['r', 'r']);
    assert.equal(fastUnaryServed(fx.server), 0);
    assert.equal(fastStreamServed(fx.server), 1);
  });
});
