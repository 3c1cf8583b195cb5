/**
 * streamCriLog on real files: what `kubectl logs` gets for each option (tailLines, since,
 * timestamps, limitBytes), a torn last line, and follow — with a real CriLogWriter appending,
 * across a rotation (rename + reopen), ending when the container stops and the file is drained
 * or when the client goes away.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { systemClock } from '../../../src/base/clock.js';
import { streamCriLog, type StreamLogOptions } from '../../../src/kubelet/logs/read.js';
import { CriLogWriter } from '../../../src/runtime/logs/writer.js';
import { until } from '../../support/controllers.js';

/** Sink collects what the client would receive. */
class Sink extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

const LOG = [
  '2026-11-23T18:00:01.000000000Z stdout F one',
  '2026-11-23T18:00:02.000000000Z stderr F two',
  '2026-11-23T18:00:03.000000000Z stdout P thr',
  '2026-11-23T18:00:03.500000000Z stdout F ee',
  '2026-11-23T18:00:04.000000000Z stdout F four',
].map((l) => `${l}\n`).join('');

describe('streamCriLog', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-logread-'));
    path = join(dir, '0.log');
    await writeFile(path, LOG);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function read(opts: Partial<StreamLogOptions> = {}): Promise<string> {
    const sink = new Sink();
    await streamCriLog(path, { timestamps: false, ...opts }, sink, new AbortController().signal);
    return sink.text;
  }

  it('serves the payload of both streams in file order, split lines joined', async () => {
    assert.equal(await read(), 'one\ntwo\nthree\nfour\n');
  });

  it('tailLines counts the file\'s lines from the end', async () => {
    assert.equal(await read({ tailLines: 1 }), 'four\n');
    assert.equal(await read({ tailLines: 3 }), 'three\nfour\n');
    assert.equal(await read({ tailLines: 0 }), '');
    assert.equal(await read({ tailLines: 100 }), 'one\ntwo\nthree\nfour\n');
  });

  it('since skips older lines; timestamps prefix each line once', async () => {
    const since = BigInt(Date.UTC(2026, 10, 23, 18, 0, 2)) * 1_000_000n;
    assert.equal(await read({ sinceWallNs: since }), 'two\nthree\nfour\n');
    assert.equal(await read({ timestamps: true, tailLines: 3 }),
      '2026-11-23T18:00:03.000000000Z three\n2026-11-23T18:00:04.000000000Z four\n');
  });

  it('limitBytes cuts the output, even mid-line', async () => {
    assert.equal(await read({ limitBytes: 6 }), 'one\ntw');
    assert.equal(await read({ limitBytes: 1000 }), 'one\ntwo\nthree\nfour\n');
  });

  it('shows a torn last line and skips lines that are not CRI', async () => {
    await appendFile(path, 'not a log line\n2026-11-23T18:00:05.000000000Z stdout F fi');
    const defects: string[] = [];
    const sink = new Sink();
    await streamCriLog(path, { timestamps: false, onDefect: (d) => defects.push(d.error) }, sink,
      new AbortController().signal);
    assert.equal(sink.text, 'one\ntwo\nthree\nfour\nfi\n');
    assert.deepEqual(defects, ['unexpected timestamp format "RFC3339Nano": not']);
  });

  it('waits for a slow client instead of buffering the log for it', async () => {
    const big = Array.from({ length: 2000 }, (_, i) =>
      `2026-11-23T18:00:00.000000000Z stdout F ${String(i).padStart(100, '.')}\n`).join('');
    await writeFile(path, big);
    let writesWhileFull = 0;
    let received = '';
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb): void {
        received += chunk.toString();
        setImmediate(cb);
      },
    });
    const write = slow.write.bind(slow);
    slow.write = ((chunk: Buffer): boolean => {
      if (slow.writableNeedDrain) writesWhileFull++;
      return write(chunk);
    }) as typeof slow.write;
    await streamCriLog(path, { timestamps: false }, slow, new AbortController().signal);
    await until(() => slow.writableLength === 0, 'the client to take everything');
    assert.equal(writesWhileFull, 0, 'no write after write() said the client is full');
    assert.equal(received.split('\n').length, 2001);
  });

  it('rejects with ENOENT for a missing log', async () => {
    await assert.rejects(streamCriLog(join(dir, 'nope.log'), { timestamps: false }, new Sink(),
      new AbortController().signal), { code: 'ENOENT' });
  });

  it('follows a live writer across a rotation and ends once stopped and drained', async () => {
    const logPath = join(dir, 'live.log');
    const writer = await CriLogWriter.open({ logPath, wallMs: () => Date.now() });
    await writer.write('stdout', Buffer.from('before\n'));
    await writer.flushed();
    let running = true;
    const sink = new Sink();
    const done = streamCriLog(logPath, {
      timestamps: false,
      follow: { isRunning: async () => running, clock: systemClock, recheckMs: 20 },
    }, sink, new AbortController().signal);
    await writer.write('stdout', Buffer.from('a\n'));
    await until(() => sink.text === 'before\na\n', 'the first followed line');
    await writer.write('stderr', Buffer.from('b\n'));
    await writer.flushed();
    await rename(logPath, `${logPath}.20261123-180000`);
    await writer.write('stdout', Buffer.from('c\n')); // still into the renamed file
    await writer.reopen();
    await writer.write('stdout', Buffer.from('d\n'));
    await until(() => sink.text === 'before\na\nb\nc\nd\n', 'lines from both files');
    await writer.write('stdout', Buffer.from('last'));
    await writer.close(); // the container exited: "last" is written as P
    running = false;
    await done;
    assert.equal(sink.text, 'before\na\nb\nc\nd\nlast');
  });

  it('stops following when the client goes away', async () => {
    const abort = new AbortController();
    const sink = new Sink();
    const done = streamCriLog(path, {
      timestamps: false,
      follow: { isRunning: async () => true, clock: systemClock, recheckMs: 10_000 },
    }, sink, abort.signal);
    await until(() => sink.text.endsWith('four\n'), 'the existing lines');
    abort.abort();
    await done;
  });
});
