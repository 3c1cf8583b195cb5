/**
 * RFC 6455 framing and the hand-made handshake: what a server must accept and refuse.
 */
import assert from 'node:assert/strict';
import {
  closePayload, encodeWsFrame, parseClosePayload, WsClose, WsFrameParser, WsOpcode,
  WsProtocolError,
} from '../../../src/runtime/streaming/ws-frame.js';
import { acceptKey, wsHandshake } from '../../../src/runtime/streaming/ws-handshake.js';

const MASK = Buffer.from([0x12, 0x34, 0x56, 0x78]);

function parser(maxFrameBytes = 1 << 20): WsFrameParser {
  return new WsFrameParser({ maxFrameBytes, requireMask: true });
}

function protocolError(fn: () => unknown, code: number): void {
  assert.throws(fn, (e: unknown) => e instanceof WsProtocolError && e.closeCode === code);
}

describe('WebSocket frames (RFC 6455 §5)', () => {
  for (const size of [0, 5, 125, 126, 65535, 65536, 200_000]) {
    it(`a masked client frame of ${size} bytes parses back to its payload`, () => {
      const payload = Buffer.alloc(size, 0xab);
      const frames = parser().push(encodeWsFrame(WsOpcode.binary, payload, { mask: MASK }));
      assert.equal(frames.length, 1);
      assert.deepEqual(frames[0], { fin: true, opcode: WsOpcode.binary, payload });
    });
  }

  it('frames split at every byte boundary still parse, in order', () => {
    const bytes = Buffer.concat([
      encodeWsFrame(WsOpcode.text, Buffer.from('hello'), { mask: MASK, fin: false }),
      encodeWsFrame(WsOpcode.continuation, Buffer.from(' world'), { mask: MASK }),
      encodeWsFrame(WsOpcode.ping, Buffer.from('p'), { mask: MASK }),
    ]);
    const p = parser();
    const got = [];
    for (const b of bytes) got.push(...p.push(Buffer.from([b])));
    assert.deepEqual(got.map((f) => [f.opcode, f.fin, f.payload.toString()]), [
      [WsOpcode.text, false, 'hello'],
      [WsOpcode.continuation, true, ' world'],
      [WsOpcode.ping, true, 'p'],
    ]);
  });

  it('server frames are unmasked with the shortest length encoding', () => {
    assert.deepEqual(
      encodeWsFrame(WsOpcode.binary, Buffer.from([1, 2])),
      Buffer.from([0x82, 2, 1, 2]),
    );
    const mid = encodeWsFrame(WsOpcode.binary, Buffer.alloc(300));
    assert.deepEqual(mid.subarray(0, 4), Buffer.from([0x82, 126, 0x01, 0x2c]));
    assert.equal(encodeWsFrame(WsOpcode.binary, Buffer.alloc(70_000)).readUInt8(1), 127);
  });

  it('refuses unmasked frames, reserved bits, unknown opcodes, bad control frames', () => {
    protocolError(
      () => parser().push(encodeWsFrame(WsOpcode.binary, Buffer.from('x'))),
      WsClose.protocolError,
    );
    const rsv = encodeWsFrame(WsOpcode.binary, Buffer.from('x'), { mask: MASK });
    rsv[0] = (rsv[0] ?? 0) | 0x40;
    protocolError(() => parser().push(rsv), WsClose.protocolError);
    protocolError(
      () => parser().push(encodeWsFrame(0x3, Buffer.alloc(0), { mask: MASK })),
      WsClose.protocolError,
    );
    const longPing = encodeWsFrame(WsOpcode.ping, Buffer.alloc(126), { mask: MASK });
    protocolError(() => parser().push(longPing), WsClose.protocolError);
    const fragPing = encodeWsFrame(WsOpcode.ping, Buffer.alloc(1), { mask: MASK, fin: false });
    protocolError(() => parser().push(fragPing), WsClose.protocolError);
  });

  it('a frame over the bound is 1009 before its payload arrives', () => {
    const head = encodeWsFrame(WsOpcode.binary, Buffer.alloc(5000), { mask: MASK }).subarray(0, 8);
    protocolError(() => parser(4096).push(head), WsClose.tooBig);
  });

  it('close payloads carry a code and a reason; empty means 1005', () => {
    assert.deepEqual(parseClosePayload(closePayload(1000, 'bye')), { code: 1000, reason: 'bye' });
    assert.deepEqual(parseClosePayload(Buffer.alloc(0)), { code: 1005, reason: '' });
    protocolError(() => parseClosePayload(Buffer.from([3])), WsClose.protocolError);
  });
});

describe('WebSocket opening handshake (RFC 6455 §4.2)', () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  const headers = (protocol?: string): Record<string, string> => ({
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': key,
    'sec-websocket-version': '13',
    ...(protocol !== undefined ? { 'sec-websocket-protocol': protocol } : {}),
  });

  it('computes the RFC example accept key', () => {
    assert.equal(acceptKey(key), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('echoes the first offered subprotocol it supports, SPDY/3.1+portforward too', () => {
    const hs = wsHandshake(
      headers('v5.channel.k8s.io, v4.channel.k8s.io'),
      ['v4.channel.k8s.io', 'v5.channel.k8s.io'],
    );
    assert.ok(hs.ok);
    assert.equal(hs.protocol, 'v5.channel.k8s.io');
    assert.match(hs.response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(hs.response, /\r\nSec-WebSocket-Protocol: v5\.channel\.k8s\.io\r\n/);
    assert.match(hs.response, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
    const pf = wsHandshake(headers('SPDY/3.1+portforward.k8s.io'), ['SPDY/3.1+portforward.k8s.io']);
    assert.ok(pf.ok && pf.protocol === 'SPDY/3.1+portforward.k8s.io');
  });

  it('refuses an offer with nothing supported, a bad key, or another version (400)', () => {
    assert.deepEqual(wsHandshake(headers('mqtt'), ['v5.channel.k8s.io']).ok, false);
    assert.deepEqual(wsHandshake({ ...headers(), 'sec-websocket-key': 'short' }, []).ok, false);
    const v8 = wsHandshake({ ...headers(), 'sec-websocket-version': '8' }, []);
    assert.ok(!v8.ok && v8.code === 400);
  });

  it('no offered subprotocol means none in the answer', () => {
    const hs = wsHandshake(headers(), ['v5.channel.k8s.io']);
    assert.ok(hs.ok && hs.protocol === undefined);
    assert.doesNotMatch(hs.response, /Sec-WebSocket-Protocol/);
  });
});
