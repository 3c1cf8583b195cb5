import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Prng } from '../../../src/base/prng.js';
import { nodeFileSystem } from '../../../src/raft/io/fs.js';
import { SimDisk } from '../../../src/sim/disk.js';
import { Wal, WalCorruptionError, type WalRecord } from '../../../src/raft/io/wal.js';
import { entries, show, tempDir } from './support.js';

function entryRecords(lo: number, hi: number, term: number): WalRecord[] {
  return entries(lo, hi, term).map((entry) => ({ kind: 'entry', entry }));
}

function shown(records: readonly WalRecord[]): string[] {
  return records.map((r) =>
    r.kind === 'entry'
      ? show(r.entry)
      : r.kind === 'hard-state'
        ? `hs ${r.hardState.term}/${r.hardState.vote}/${r.hardState.commit}`
        : `snap ${r.index}/${r.term}/${r.reset}`,
  );
}

function segmentPaths(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.wal')).sort().map((n) => path.join(dir, n));
}

describe('Wal on the real file system', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((f) => f()));

  it('reads back what it wrote after reopen', () => {
    const dir = tempDir(cleanups);
    const { wal } = Wal.open(nodeFileSystem, dir);
    const written: WalRecord[] = [
      ...entryRecords(1, 3, 1),
      { kind: 'hard-state', hardState: { term: 1, vote: 2, commit: 3 } },
      { kind: 'snapshot', index: 2, term: 1, reset: false },
    ];
    wal.append(written, true);
    wal.close();
    const { wal: again, recovery } = Wal.open(nodeFileSystem, dir);
    assert.deepEqual(shown(recovery.records), shown(written));
    assert.equal(recovery.tornTailBytes, 0);
    assert.equal(again.lastIndex(), 3);
    again.close();
  });

  it('rolls segments at the size limit, names them by first index and compacts them', () => {
    const dir = tempDir(cleanups);
    const { wal } = Wal.open(nodeFileSystem, dir, { segmentBytesMax: 200 });
    wal.append([{ kind: 'hard-state', hardState: { term: 1, vote: 1, commit: 0 } }], true);
    for (let i = 1; i <= 40; i++) wal.append(entryRecords(i, i, 1), true);
    const names = wal.segmentNames();
    assert.ok(names.length >= 5, `rolled into ${names.length} segments`);
    assert.equal(names[0], '0000000000000000-0000000000000001.wal');
    for (const [i, p] of segmentPaths(dir).entries()) {
      if (i < names.length - 1) assert.ok(fs.statSync(p).size <= 200, `${p} over the limit`);
    }
    wal.close();
    const { wal: again, recovery } = Wal.open(nodeFileSystem, dir, { segmentBytesMax: 200 });
    const got = recovery.records.filter((r) => r.kind === 'entry');
    assert.deepEqual(shown(got), shown(entryRecords(1, 40, 1)));
    const second = names[1]!;
    const firstOfSecond = parseInt(second.slice(17, 33), 16);
    assert.equal(again.compact(firstOfSecond - 1), 1);
    assert.deepEqual(again.segmentNames(), names.slice(1));
    assert.equal(again.compact(1_000_000), names.length - 2, 'keeps the tail segment');
    assert.equal(again.segmentNames().length, 1);
    again.close();
    const last = Wal.open(nodeFileSystem, dir, { segmentBytesMax: 200 });
    const hs = last.recovery.records.find((r) => r.kind === 'hard-state');
    assert.ok(hs, 'every segment starts with the hard state');
    last.wal.close();
  });

  it('truncates a torn tail and keeps appending after it', () => {
    const dir = tempDir(cleanups);
    const { wal } = Wal.open(nodeFileSystem, dir);
    wal.append(entryRecords(1, 5, 1), true);
    wal.close();
    const [seg] = segmentPaths(dir);
    const goodBytes = fs.statSync(seg!).size;
    // A partial record: a header announcing 100 bytes, and 7 of them.
    const partial = Buffer.alloc(16);
    partial.writeUInt32BE(100, 0);
    fs.appendFileSync(seg!, partial);
    const { wal: again, recovery } = Wal.open(nodeFileSystem, dir);
    // Counted to its last non-zero byte: zeros past the records are the WAL's own padding.
    assert.equal(recovery.tornTailBytes, 4);
    assert.equal(fs.statSync(seg!).size, goodBytes);
    again.append(entryRecords(6, 6, 1), true);
    again.close();
    const third = Wal.open(nodeFileSystem, dir);
    assert.deepEqual(shown(third.recovery.records), shown(entryRecords(1, 6, 1)));
    third.wal.close();
  });

  it('treats trailing garbage as a torn tail', () => {
    const dir = tempDir(cleanups);
    const { wal } = Wal.open(nodeFileSystem, dir);
    wal.append(entryRecords(1, 2, 1), true);
    wal.close();
    const [seg] = segmentPaths(dir);
    fs.appendFileSync(seg!, Buffer.from('garbage garbage garbage'));
    const { wal: again, recovery } = Wal.open(nodeFileSystem, dir);
    assert.equal(recovery.tornTailBytes, 23);
    assert.equal(recovery.records.length, 2);
    again.close();
  });

  it('throws naming file and offset for a bad record followed by valid ones', () => {
    const dir = tempDir(cleanups);
    const { wal } = Wal.open(nodeFileSystem, dir);
    wal.append(entryRecords(1, 1, 1), true);
    wal.close(); // cuts the padding: the file ends where record 2 will start
    const [seg] = segmentPaths(dir);
    const second = fs.statSync(seg!).size;
    const { wal: more } = Wal.open(nodeFileSystem, dir);
    more.append(entryRecords(2, 4, 1), true);
    more.close();
    const buf = fs.readFileSync(seg!);
    buf.writeUInt8(buf.readUInt8(second + 12) ^ 0x10, second + 12); // inside record 2
    fs.writeFileSync(seg!, buf);
    assert.throws(
      () => Wal.open(nodeFileSystem, dir),
      (err: unknown) =>
        err instanceof WalCorruptionError &&
        err.path === seg &&
        err.offsetBytes === second &&
        err.message.includes(seg!) &&
        err.message.includes(`byte ${second}`),
    );
  });

  it('pads past its records with zeros, which recovery cuts off and never counts as torn', () => {
    const dir = tempDir(cleanups);
    const { wal } = Wal.open(nodeFileSystem, dir, { padBytes: 4096 });
    wal.append(entryRecords(1, 3, 1), true);
    const [seg] = segmentPaths(dir);
    const padded = fs.statSync(seg!).size;
    wal.append(entryRecords(4, 4, 1), true);
    assert.equal(fs.statSync(seg!).size, padded, 'the second write landed inside the padding');
    // A crash: the file is left as it is, padding and all (no close).
    const copy = tempDir(cleanups);
    fs.copyFileSync(seg!, path.join(copy, path.basename(seg!)));
    wal.close();
    const { wal: again, recovery } = Wal.open(nodeFileSystem, copy, { padBytes: 4096 });
    assert.deepEqual(shown(recovery.records), shown(entryRecords(1, 4, 1)));
    assert.equal(recovery.tornTailBytes, 0);
    const [copied] = segmentPaths(copy);
    assert.ok(fs.statSync(copied!).size < padded, 'the padding was cut off');
    // A torn record inside the padding is a torn tail of its own length.
    again.append(entryRecords(5, 5, 1), true);
    again.close();
    const end = fs.statSync(copied!).size;
    const torn = Buffer.alloc(16);
    torn.writeUInt32BE(100, 0);
    torn.writeUInt8(1, 8);
    fs.appendFileSync(copied!, Buffer.concat([torn, Buffer.alloc(4096)]));
    const third = Wal.open(nodeFileSystem, copy, { padBytes: 4096 });
    assert.equal(third.recovery.tornTailBytes, 9);
    assert.equal(fs.statSync(copied!).size, end);
    assert.deepEqual(shown(third.recovery.records), shown(entryRecords(1, 5, 1)));
    third.wal.close();
  });

  it('seals a segment without its padding', () => {
    const dir = tempDir(cleanups);
    const { wal } = Wal.open(nodeFileSystem, dir, { segmentBytesMax: 120, padBytes: 4096 });
    for (let i = 1; i <= 20; i++) wal.append(entryRecords(i, i, 1), true);
    const paths = segmentPaths(dir);
    assert.ok(paths.length >= 3, `rolled into ${paths.length} segments`);
    for (const p of paths.slice(0, -1)) assert.ok(fs.statSync(p).size <= 120, `${p} kept padding`);
    assert.ok(fs.statSync(paths[paths.length - 1]!).size > 4096, 'the open segment is padded');
    wal.close();
    const { wal: again, recovery } = Wal.open(nodeFileSystem, dir, { segmentBytesMax: 120 });
    assert.deepEqual(shown(recovery.records.filter((r) => r.kind === 'entry')), shown(entryRecords(1, 20, 1)));
    again.close();
  });

  it('throws for any bad record in a sealed (non-last) segment', () => {
    const dir = tempDir(cleanups);
    const { wal } = Wal.open(nodeFileSystem, dir, { segmentBytesMax: 100 });
    for (let i = 1; i <= 10; i++) wal.append(entryRecords(i, i, 1), true);
    wal.close();
    const [first] = segmentPaths(dir);
    const size = fs.statSync(first!).size;
    fs.truncateSync(first!, size - 3); // even a clean-looking cut is corruption here
    assert.throws(() => Wal.open(nodeFileSystem, dir, { segmentBytesMax: 100 }), /sealed segment/);
  });

  it('throws when a segment in the middle is missing', () => {
    const dir = tempDir(cleanups);
    const { wal } = Wal.open(nodeFileSystem, dir, { segmentBytesMax: 60 });
    for (let i = 1; i <= 20; i++) wal.append(entryRecords(i, i, 1), true);
    wal.close();
    const paths = segmentPaths(dir);
    assert.ok(paths.length >= 3);
    fs.unlinkSync(paths[1]!);
    assert.throws(() => Wal.open(nodeFileSystem, dir), WalCorruptionError);
  });

  it('never loses the hard state when compaction deletes the segment that held it', () => {
    const disk = new SimDisk(new Prng(5));
    const { wal } = Wal.open(disk, '/w', { segmentBytesMax: 120 });
    wal.append([{ kind: 'hard-state', hardState: { term: 7, vote: 2, commit: 0 } }], true);
    let i = 1;
    while (wal.segmentNames().length < 2) wal.append(entryRecords(i, i++, 7), false);
    // The new segment's header (the hard state) is not synced yet; deleting the old segment
    // must not leave the hard state only in the page cache.
    assert.equal(wal.compact(1_000), 1);
    disk.crash({ tornWrites: false });
    const { recovery } = Wal.open(disk, '/w', { segmentBytesMax: 120 });
    assert.deepEqual(shown(recovery.records.filter((r) => r.kind === 'hard-state')), ['hs 7/2/0']);
  });
});
