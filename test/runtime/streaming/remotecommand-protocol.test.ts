/**
 * The remotecommand protocol's pure parts: channel framing (binary, base64, v5 CLOSE), resize
 * messages, and the status each protocol version writes at the end.
 */
import assert from 'node:assert/strict';
import {
  decodeChannelMessage, encodeChannelMessage, ResizeDecoder, spdyVersion, statusMessage, wsProtocol,
} from '../../../src/runtime/streaming/remotecommand-protocol.js';
import { TokenCache } from '../../../src/runtime/streaming/tokens.js';
import { CriError } from '../../../src/kubelet/cri/errors.js';
import type { Clock } from '../../../src/base/clock.js';

describe('remotecommand channel framing', () => {
  const v5 = wsProtocol('v5.channel.k8s.io');
  const v4 = wsProtocol('v4.channel.k8s.io');
  const b64 = wsProtocol('base64.channel.k8s.io');

  it('binary: one channel byte then the payload', () => {
    assert.deepEqual(
      encodeChannelMessage(v5, 1, Buffer.from('hi')),
      [Buffer.from([1, 0x68, 0x69]), true],
    );
    assert.deepEqual(
      decodeChannelMessage(v5, Buffer.from([0, 0x61])),
      { kind: 'data', channel: 0, data: Buffer.from('a') },
    );
  });

  it('v5 [255, 0] closes stdin; before v5 the byte 255 is just a channel', () => {
    assert.deepEqual(
      decodeChannelMessage(v5, Buffer.from([255, 0])),
      { kind: 'close', channel: 0 },
    );
    assert.equal(decodeChannelMessage(v4, Buffer.from([255, 0]))?.kind, 'data');
  });

  it('base64: an ASCII channel digit then base64, in text messages', () => {
    const [frame, binary] = encodeChannelMessage(b64, 2, Buffer.from('oops'));
    assert.equal(binary, false);
    assert.equal(frame.toString(), '2b29wcw==');
    assert.deepEqual(
      decodeChannelMessage(b64, Buffer.from('0aGVsbG8=')),
      { kind: 'data', channel: 0, data: Buffer.from('hello') },
    );
  });

  it('empty messages are ignored; no subprotocol means binary channel.k8s.io', () => {
    assert.equal(decodeChannelMessage(v5, Buffer.alloc(0)), undefined);
    assert.equal(wsProtocol(undefined).name, 'channel.k8s.io');
  });

  it('SPDY protocol names map to versions', () => {
    assert.deepEqual(
      [
        'v4.channel.k8s.io',
        'v3.channel.k8s.io',
        'v2.channel.k8s.io',
        'channel.k8s.io',
      ].map(spdyVersion),
      [4, 3, 2, 1],
    );
  });
});

describe('resize messages', () => {
  it('decodes concatenated and split JSON objects, skipping malformed ones', () => {
    const d = new ResizeDecoder();
    assert.deepEqual(
      d.push(Buffer.from('{"Width":80,"Height":24}\n{"Width":1')),
      [{ width: 80, height: 24 }],
    );
    const rest = '20,"Height":40}{"Width":-1,"Height":2}{"Width":5,"Height":6}';
    assert.deepEqual(d.push(Buffer.from(rest)),
      [{ width: 120, height: 40 }, { width: 5, height: 6 }]);
  });

  it('drops an unterminated object past its bound instead of growing', () => {
    const d = new ResizeDecoder(16);
    assert.deepEqual(d.push(Buffer.from('{"Width":' + '1'.repeat(40))), []);
    assert.deepEqual(d.push(Buffer.from('{"Width":3,"Height":4}')), [{ width: 3, height: 4 }]);
  });
});

describe('final status on the error channel', () => {
  it('v4+: Success, or NonZeroExitCode with the ExitCode cause kubectl exits with', () => {
    assert.equal(
      statusMessage(5, { kind: 'exit', exitCode: 0 }),
      '{"metadata":{},"status":"Success"}',
    );
    assert.deepEqual(JSON.parse(statusMessage(4, { kind: 'exit', exitCode: 3 }) ?? ''), {
      metadata: {}, status: 'Failure', reason: 'NonZeroExitCode',
      message: 'command terminated with non-zero exit code: exit status 3',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    assert.equal(
      JSON.parse(statusMessage(5, { kind: 'error', message: 'no such container' }) ?? '').reason,
      'InternalError',
    );
  });

  it('v1–v3: nothing on success, plain text on failure', () => {
    assert.equal(statusMessage(3, { kind: 'exit', exitCode: 0 }), undefined);
    assert.equal(
      statusMessage(1, { kind: 'exit', exitCode: 2 }),
      'command terminated with non-zero exit code: exit status 2',
    );
  });
});

describe('streaming tokens', () => {
  let nowMs = 0;
  const clock: Clock = {
    nowMs: () => nowMs,
    setTimeout: () => ({ cancel() {} }),
    setInterval: () => ({ cancel() {} }),
  };
  let n = 0;
  const cache = (max = 1000): TokenCache<string> => new TokenCache<string>(
    clock,
    () => `t${n++}`,
    60_000,
    max,
  );

  it('are single-use', () => {
    const c = cache();
    const t = c.insert('exec');
    assert.equal(c.consume(t), 'exec');
    assert.equal(c.consume(t), undefined);
  });

  it('expire after 60 s', () => {
    const c = cache();
    nowMs = 0;
    const fresh = c.insert('a');
    const old = c.insert('b');
    nowMs = 60_000;
    assert.equal(c.consume(fresh), 'a');
    nowMs = 60_001;
    assert.equal(c.consume(old), undefined);
  });

  it('are bounded: RESOURCE_EXHAUSTED past the in-flight limit, until some expire', () => {
    const c = cache(2);
    nowMs = 0;
    c.insert('a');
    c.insert('b');
    assert.throws(
      () => c.insert('c'),
      (e: unknown) => e instanceof CriError && /in-flight/.test(e.message),
    );
    nowMs = 61_000;
    c.insert('c');
    assert.equal(c.size, 1);
  });
});
