/**
 * SPDY/3.1 framing, header blocks and their zlib contexts. The peer's compressor is played by
 * Node's zlib primed with the SPDY/3 dictionary — the same zlib format Go's spdystream writes.
 */
import assert from 'node:assert/strict';
import { constants, createDeflate, createInflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from '../../../src/runtime/streaming/spdy-dictionary.js';
import {
  decodeFrame, encodeData, encodeGoAway, encodePing, encodeRstStream, encodeSynReply,
  encodeSynStream, SpdyFrameParser, SpdyProtocolError,
} from '../../../src/runtime/streaming/spdy-frame.js';
import {
  decodeHeaderBlock, encodeHeaderBlock, headerBlockLength, HeaderDeflater, HeaderInflater,
} from '../../../src/runtime/streaming/spdy-headers.js';

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** peerCompressor plays the client: one zlib stream, sync-flushed after every block. */
function peerCompressor(): (block: Buffer) => Promise<Buffer> {
  const z = createDeflate({ dictionary: SPDY3_DICTIONARY });
  return (block) => new Promise((resolve) => {
    const out: Buffer[] = [];
    const onData = (c: Buffer): void => {
      out.push(c);
    };
    z.on('data', onData);
    z.write(block);
    z.flush(constants.Z_SYNC_FLUSH, () => {
      setImmediate(() => {
        z.off('data', onData);
        resolve(Buffer.concat(out));
      });
    });
  });
}

describe('SPDY/3 header compression dictionary', () => {
  it('is the 1423 bytes whose Adler-32 kubectl names in its zlib header (0xe3c6a7c2)', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    // kubectl's first SYN_STREAM header block starts 78 f9 e3 c6 a7 c2: FDICT set, dictionary id.
    assert.equal(adler32(SPDY3_DICTIONARY), 0xe3c6a7c2);
  });
});

describe('SPDY/3 header blocks', () => {
  it('encode and decode name/value pairs; values split at NUL; names lower-cased', () => {
    const raw = encodeHeaderBlock({ streamtype: 'data', Port: '80', multi: ['a', 'b'] });
    assert.deepEqual(
      decodeHeaderBlock(raw),
      { streamtype: ['data'], port: ['80'], multi: ['a', 'b'] },
    );
    assert.equal(headerBlockLength(raw), raw.length);
    assert.equal(headerBlockLength(raw.subarray(0, raw.length - 1)), undefined);
    assert.equal(headerBlockLength(Buffer.concat([raw, Buffer.from([9])])), raw.length);
  });

  it('the inflater decodes a peer compressor\'s blocks in order, one context for all', async () => {
    const compress = peerCompressor();
    const inflater = new HeaderInflater();
    const blocks: Record<string, string>[] = [
      { streamtype: 'error', port: '80', requestid: '0' },
      { streamtype: 'data', port: '80', requestid: '0' },
      { streamtype: 'stdout' },
    ];
    for (const h of blocks) {
      const got = await inflater.inflate(await compress(encodeHeaderBlock(h)));
      assert.deepEqual(got, Object.fromEntries(Object.entries(h).map(([k, v]) => [k, [v]])));
    }
    inflater.close();
  });

  it('our stored-block deflater is a zlib stream a standard inflater reads', async () => {
    const d = new HeaderDeflater();
    const z = createInflate();
    const out: Buffer[] = [];
    z.on('data', (c: Buffer) => out.push(c));
    const raws = [
      encodeHeaderBlock({}),
      encodeHeaderBlock({ a: 'b' }),
      encodeHeaderBlock({ big: 'x'.repeat(70_000) }),
    ];
    for (const raw of raws) {
      const bytes = d.compress(raw);
      assert.deepEqual(
        bytes.subarray(-5),
        Buffer.from([0, 0, 0, 0xff, 0xff]),
        'ends with the sync marker',
      );
      z.write(bytes);
    }
    await new Promise<void>((resolve) => z.flush(
      constants.Z_SYNC_FLUSH,
      () => setImmediate(resolve),
    ));
    assert.deepEqual(Buffer.concat(out), Buffer.concat(raws));
    z.destroy();
  });

  it('garbage fails the inflater and every later call', async () => {
    const inflater = new HeaderInflater();
    await assert.rejects(inflater.inflate(Buffer.from('not zlib at all')));
    await assert.rejects(inflater.inflate(Buffer.from([0x78])));
    inflater.close();
  });
});

describe('SPDY/3.1 frames', () => {
  it('control frames round-trip', () => {
    const block = Buffer.from('hdrs');
    assert.deepEqual(decodeFrame(encodeSynStream(5, block, true)),
      { kind: 'synStream', streamId: 5, associatedId: 0, fin: true, headerBlock: block });
    assert.deepEqual(
      decodeFrame(encodeSynReply(5, block)),
      { kind: 'synReply', streamId: 5, fin: false, headerBlock: block },
    );
    assert.deepEqual(
      decodeFrame(encodeRstStream(7, 5)),
      { kind: 'rstStream', streamId: 7, status: 5 },
    );
    assert.deepEqual(decodeFrame(encodePing(0xfffffff1)), { kind: 'ping', id: 0xfffffff1 });
    assert.deepEqual(
      decodeFrame(encodeGoAway(9, 0)),
      { kind: 'goAway', lastGoodStreamId: 9, status: 0 },
    );
  });

  it('data frames carry the stream id, FIN and bytes', () => {
    assert.deepEqual(decodeFrame(encodeData(3, Buffer.from('abc'), true)),
      { kind: 'data', streamId: 3, fin: true, data: Buffer.from('abc') });
  });

  it('the parser reassembles frames from any chunks, ignoring SETTINGS/WINDOW_UPDATE', () => {
    const settings = Buffer.from([0x80, 3, 0, 4, 0, 0, 0, 4, 0, 0, 0, 0]);
    const windowUpdate = Buffer.from([0x80, 3, 0, 9, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 5]);
    const bytes = Buffer.concat([
      settings,
      encodeData(1, Buffer.alloc(1000, 7), false),
      windowUpdate,
      encodePing(1),
    ]);
    const p = new SpdyFrameParser();
    const kinds: string[] = [];
    for (let off = 0; off < bytes.length; off += 7) kinds.push(...p.push(bytes.subarray(
      off,
      off + 7,
    )).map((f) => f.kind));
    assert.deepEqual(kinds, ['ignored', 'data', 'ignored', 'ping']);
    assert.equal(p.bufferedBytes, 0);
  });

  it('refuses another SPDY version and frames over the bound', () => {
    const v2 = encodePing(1);
    v2.writeUInt16BE(0x8002, 0);
    assert.throws(() => new SpdyFrameParser().push(v2), SpdyProtocolError);
    assert.throws(() => new SpdyFrameParser(100).push(encodeData(
      1,
      Buffer.alloc(101),
      false,
    ).subarray(0, 8)),
      SpdyProtocolError);
  });
});
