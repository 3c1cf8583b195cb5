import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Prng } from '../../../src/base/prng.js';
import { DurableStorage, RecoveryError } from '../../../src/raft/io/durable-storage.js';
import { nodeFileSystem } from '../../../src/raft/io/fs.js';
import { SnapshotStore } from '../../../src/raft/io/snapshot-store.js';
import { SimCrashError, SimDisk } from '../../../src/sim/disk.js';
import { dump, entries, tempDir } from './support.js';

const CS = { voters: [1, 2, 3], learners: [] };

describe('DurableStorage', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((f) => f()));

  it('round-trips entries, hard state and snapshots on the real disk', () => {
    const dir = tempDir(cleanups);
    const s = DurableStorage.open(nodeFileSystem, dir, { wal: { segmentBytesMax: 256 } });
    s.save({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 8 }, sync: true });
    s.save({ entries: entries(9, 12, 2), hardState: { term: 2, vote: 3, commit: 9 }, sync: true });
    s.createSnapshot(9, CS, Buffer.from('image@9'));
    s.compact(7);
    assert.ok(s.walSegments().length >= 1);
    const before = dump(s);
    s.close();
    const r = DurableStorage.open(nodeFileSystem, dir, { wal: { segmentBytesMax: 256 } });
    assert.deepEqual(r.initialState(), { hardState: { term: 2, vote: 3, commit: 9 }, confState: CS });
    assert.equal(r.snapshot().metadata!.index, 9);
    assert.equal(Buffer.from(r.snapshot().data).toString(), 'image@9');
    assert.equal(r.term(9), 2);
    assert.deepEqual(dump(r), before.filter((e) => Number(e.split('/')[0]) > 9));
    assert.deepEqual(dump(r), ['10/2/e10t2', '11/2/e11t2', '12/2/e12t2']);
    assert.equal(r.recovery.snapshotName, 'snap-0000000000000002-0000000000000009.snap');
    r.close();
  });

  it('saves in the background: durable when it resolves, the view updated then', async () => {
    const dir = tempDir(cleanups);
    const s = DurableStorage.open(nodeFileSystem, dir);
    s.save({ entries: entries(1, 3, 1), hardState: { term: 1, vote: 1, commit: 2 }, sync: true });
    const hardState = { term: 1, vote: 1, commit: 5 };
    const p = s.saveInBackground({ entries: entries(4, 6, 1), hardState, sync: true });
    assert.equal(s.lastIndex(), 3, 'the view shows the part only once it is durable');
    assert.throws(() => s.save({ entries: entries(7, 7, 1), sync: false }), /background fdatasync/);
    await p;
    assert.equal(s.lastIndex(), 6);
    s.save({ entries: entries(7, 7, 1), sync: true });
    s.close();
    const r = DurableStorage.open(nodeFileSystem, dir);
    assert.deepEqual(r.initialState().hardState, { term: 1, vote: 1, commit: 5 });
    assert.equal(r.lastIndex(), 7);
    r.close();
  });

  it('replaces the log with a snapshot received from the leader', () => {
    const dir = tempDir(cleanups);
    const s = DurableStorage.open(nodeFileSystem, dir);
    s.save({ entries: entries(1, 20, 1), hardState: { term: 1, vote: 1, commit: 5 }, sync: true });
    const snap = { data: Buffer.from('leader'), metadata: { index: 10, term: 3, confState: CS } };
    s.save({ snapshot: snap, entries: entries(11, 12, 3), hardState: { term: 3, vote: 0, commit: 10 }, sync: true });
    s.close();
    const r = DurableStorage.open(nodeFileSystem, dir);
    assert.deepEqual(dump(r), ['11/3/e11t3', '12/3/e12t3']);
    assert.equal(r.term(10), 3);
    r.close();
  });

  it('repairs a crash between writing a received snapshot and logging it', () => {
    const disk = new SimDisk(new Prng(3));
    const s = DurableStorage.open(disk, '/data');
    s.save({ entries: entries(1, 20, 1), hardState: { term: 1, vote: 1, commit: 5 }, sync: true });
    const snap = { data: Buffer.from('leader'), metadata: { index: 10, term: 3, confState: CS } };
    // The snapshot file takes 6 disk operations (open, truncate, append, fdatasync, rename,
    // syncDir): crash on the last, so the file is durable and the WAL append never happens.
    disk.armCrash(6, { tornWrites: false });
    assert.throws(() => s.save({ snapshot: snap, entries: entries(11, 12, 3), sync: true }), SimCrashError);
    const r = DurableStorage.open(disk, '/data');
    assert.equal(r.snapshot().metadata!.index, 10);
    assert.deepEqual(dump(r), [], 'entries 11..20 of term 1 belong to another history');
    assert.equal(r.recovery.repaired, true);
    r.save({ entries: entries(11, 11, 3), sync: true });
    r.close();
    disk.crash();
    const again = DurableStorage.open(disk, '/data');
    assert.deepEqual(dump(again), ['11/3/e11t3'], 'the repair made the reset durable');
    assert.equal(again.recovery.repaired, false);
  });

  it('keeps the old snapshot when a crash hits between tmp write and rename', () => {
    for (let ops = 1; ops <= 5; ops++) {
      const disk = new SimDisk(new Prng(ops));
      const s = DurableStorage.open(disk, '/data');
      s.save({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 10 }, sync: true });
      s.createSnapshot(4, CS, Buffer.from('old'));
      disk.armCrash(ops, { tornWrites: true });
      assert.throws(() => s.createSnapshot(8, CS, Buffer.from('new')), SimCrashError);
      const r = DurableStorage.open(disk, '/data');
      assert.equal(Buffer.from(r.snapshot().data).toString(), 'old', `crash after ${ops} ops`);
      assert.equal(r.lastIndex(), 10);
      assert.deepEqual(
        disk.readdir('/data/snap'),
        ['snap-0000000000000001-0000000000000004.snap'],
        'the tmp file is cleaned up',
      );
      r.close();
    }
  });

  it('falls back to an older snapshot when the newest is corrupt and the WAL covers it', () => {
    const dir = tempDir(cleanups);
    const s = DurableStorage.open(nodeFileSystem, dir);
    s.save({ entries: entries(1, 10, 1), hardState: { term: 1, vote: 1, commit: 10 }, sync: true });
    s.createSnapshot(3, CS, Buffer.from('three'));
    s.createSnapshot(6, CS, Buffer.from('six'));
    s.close();
    const snapDir = path.join(dir, 'snap');
    const newest = path.join(snapDir, 'snap-0000000000000001-0000000000000006.snap');
    const buf = fs.readFileSync(newest);
    buf.writeUInt8(buf.readUInt8(2) ^ 1, 2);
    fs.writeFileSync(newest, buf);
    const r = DurableStorage.open(nodeFileSystem, dir);
    assert.equal(Buffer.from(r.snapshot().data).toString(), 'three');
    assert.deepEqual(r.recovery.skippedSnapshots, ['snap-0000000000000001-0000000000000006.snap']);
    assert.equal(r.lastIndex(), 10);
    r.close();
  });

  it('refuses to open when a corrupt newest snapshot is not covered, naming the file', () => {
    const dir = tempDir(cleanups);
    const s = DurableStorage.open(nodeFileSystem, dir, { wal: { segmentBytesMax: 128 } });
    for (let i = 1; i <= 30; i++) {
      s.save({ entries: entries(i, i, 1), hardState: { term: 1, vote: 1, commit: i }, sync: true });
    }
    s.createSnapshot(5, CS, Buffer.from('five'));
    s.createSnapshot(25, CS, Buffer.from('twenty-five'));
    s.compact(25);
    s.close();
    const newest = path.join(dir, 'snap', 'snap-0000000000000001-0000000000000019.snap');
    fs.writeFileSync(newest, Buffer.from('rotten'));
    assert.throws(
      () => DurableStorage.open(nodeFileSystem, dir, { wal: { segmentBytesMax: 128 } }),
      (err: unknown) => err instanceof RecoveryError && err.message.includes(newest),
    );
  });

  it('does one write and one fdatasync per synced save', () => {
    const disk = new SimDisk(new Prng(9));
    const s = DurableStorage.open(disk, '/data');
    const before = disk.stats();
    s.save({ entries: entries(1, 50, 1), hardState: { term: 1, vote: 1, commit: 0 }, sync: true });
    const after = disk.stats();
    assert.equal(after.writes - before.writes, 1);
    assert.equal(after.fdatasyncs - before.fdatasyncs, 1);
    s.save({ entries: [], hardState: { term: 1, vote: 1, commit: 50 }, sync: false });
    assert.equal(disk.stats().fdatasyncs, after.fdatasyncs, 'no sync when not asked');
  });

  it('keeps only the newest two snapshot files', () => {
    const disk = new SimDisk(new Prng(4));
    const s = DurableStorage.open(disk, '/data');
    s.save({ entries: entries(1, 10, 1), sync: true });
    for (const i of [2, 4, 6, 8]) s.createSnapshot(i, CS, Buffer.from(`s${i}`));
    const store = new SnapshotStore(disk, '/data/snap');
    assert.deepEqual(store.list().map((f) => f.index), [8, 6]);
  });
});
