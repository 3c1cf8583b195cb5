/**
 * The CRI log codec: lines as containerd writes them (F per newline, P pieces past the line
 * limit, P for a stream that ends mid-line, "\r\n" as one line end), read back by the decoder,
 * which tolerates a torn last line, other timestamp widths and zones, and reports bad lines.
 */
import assert from 'node:assert/strict';
import {
  decodeCriLog,
  fixedCriTimestamp,
  isCriLogDefect,
  joinCriLines,
  parseCriLine,
  parseCriTimestamp,
} from '../../../src/runtime/logs/decode.js';
import { StreamLineEncoder } from '../../../src/runtime/logs/encode.js';
import { formatCriTimestamp } from '../../../src/runtime/logs/format.js';

const TS = '2026-11-23T18:00:00.123456789Z';

function text(lines: Buffer[]): string {
  return Buffer.concat(lines).toString();
}

describe('CRI log codec', () => {
  it('formats wall time with nine fraction digits in UTC', () => {
    const ms = Date.UTC(2026, 10, 23, 18, 0, 1, 7);
    assert.equal(formatCriTimestamp(ms), '2026-11-23T18:00:01.007000000Z');
    assert.equal(formatCriTimestamp(ms + 0.25), '2026-11-23T18:00:01.007250000Z');
    assert.equal(parseCriTimestamp(formatCriTimestamp(ms)), BigInt(ms) * 1_000_000n);
  });

  it('writes one F line per newline and holds a line until its newline', () => {
    const enc = new StreamLineEncoder('stdout');
    assert.equal(text(enc.push(Buffer.from('hello\nwor'), TS)), `${TS} stdout F hello\n`);
    assert.equal(enc.bufferedBytes, 3);
    assert.deepEqual(enc.push(Buffer.from('ld'), TS), []);
    assert.equal(text(enc.push(Buffer.from('\r\n\n'), TS)),
      `${TS} stdout F world\n${TS} stdout F \n`, 'CRLF is one line end; an empty line stays');
    assert.deepEqual(enc.end(TS), [], 'nothing pending: nothing at end');
  });

  it('writes what is left without a newline as P when the stream ends', () => {
    const enc = new StreamLineEncoder('stderr');
    enc.push(Buffer.from('prompt> '), TS);
    assert.equal(text(enc.end(TS)), `${TS} stderr P prompt> \n`);
  });

  it('splits lines longer than the limit into P pieces ending with F', () => {
    const enc = new StreamLineEncoder('stdout', 16 * 1024);
    const exact = 'a'.repeat(16 * 1024);
    assert.equal(text(enc.push(Buffer.from(`${exact}\n`), TS)), `${TS} stdout F ${exact}\n`);
    const long = 'b'.repeat(40 * 1024);
    const lines = [...enc.push(Buffer.from(long.slice(0, 1000)), TS),
      ...enc.push(Buffer.from(`${long.slice(1000)}\n`), TS)];
    const decoded = decodeCriLog(Buffer.concat(lines));
    assert.deepEqual(decoded.entries.map((e) => [e.partial, e.content.length]),
      [[true, 16384], [true, 16384], [false, 8192]]);
    assert.equal(joinCriLines(decoded.entries).stdout.toString(), `${long}\n`);
  });

  it('round-trips arbitrary chunking of both streams', () => {
    const out = new StreamLineEncoder('stdout', 5);
    const err = new StreamLineEncoder('stderr', 5);
    const source = 'one\ntwo and more\n\nthree-without-newline';
    const lines: Buffer[] = [];
    for (let i = 0; i < source.length; i += 3) {
      lines.push(...out.push(Buffer.from(source.slice(i, i + 3)), TS));
      lines.push(...err.push(Buffer.from(source.slice(i, i + 2)), TS));
    }
    lines.push(...out.end(TS), ...err.end(TS));
    const joined = joinCriLines(decodeCriLog(Buffer.concat(lines)).entries);
    assert.equal(joined.stdout.toString(), source);
    assert.ok(joined.stderr.toString().startsWith('on'), 'stderr got its own (shorter) chunks');
  });

  it('keeps non-UTF-8 bytes intact', () => {
    const enc = new StreamLineEncoder('stdout');
    const bytes = Buffer.from([0xff, 0x00, 0xc3, 0x0a]);
    const [entry] = decodeCriLog(Buffer.concat(enc.push(bytes, TS))).entries;
    assert.deepEqual(entry?.content, Buffer.from([0xff, 0x00, 0xc3]));
  });

  it('hands back a torn last line instead of parsing it', () => {
    const data = Buffer.from(`${TS} stdout F done\n${TS} stdout F hal`);
    const decoded = decodeCriLog(data);
    assert.equal(decoded.entries.length, 1);
    assert.equal(decoded.remainder.toString(), `${TS} stdout F hal`);
  });

  it('reads other writers\' timestamps: short fractions, offsets, extra tags', () => {
    const e = parseCriLine(Buffer.from('2016-10-06T02:17:09.6697+02:00 stderr F:x msg\n'));
    assert.ok(!isCriLogDefect(e));
    assert.equal(e.wallNs, BigInt(Date.UTC(2016, 9, 6, 0, 17, 9, 669)) * 1_000_000n + 700_000n);
    assert.equal(e.partial, false);
    assert.equal(e.content.toString(), 'msg');
    assert.equal(fixedCriTimestamp(e.timestamp), '2016-10-06T02:17:09.669700000+02:00');
    assert.equal(fixedCriTimestamp('2016-10-06T00:17:09Z'), '2016-10-06T00:17:09.000000000Z');
  });

  it('reports malformed lines with the kubelet\'s reasons', () => {
    const reasons = ['garbage', 'yesterday stdout F x', `${TS} stdin F x`, `${TS} stdout`,
      `${TS} stdout F`].map((l) => {
      const r = parseCriLine(Buffer.from(`${l}\n`));
      return isCriLogDefect(r) ? r.error : 'parsed';
    });
    assert.deepEqual(reasons, [
      'timestamp is not found',
      'unexpected timestamp format "RFC3339Nano": yesterday',
      'unexpected stream type "stdin"',
      'stream type is not found',
      'log tag is not found',
    ]);
  });
});
