/**
 * SnapshotStore on the real file system: a snapshot written in the background (in pieces, its
 * checksum computed between the writes) is byte-for-byte the file the synchronous path writes,
 * loads back, and a flipped byte anywhere is caught.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeFileSystem, type FileSystem } from '../../../src/raft/io/fs.js';
import { SnapshotStore } from '../../../src/raft/io/snapshot-store.js';
import { tempDir } from './support.js';

describe('SnapshotStore', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((f) => f()));

  it('writes the same file in the background as in one turn; it loads back verified', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const snap = { data, metadata: { index: 42, term: 5, confState: { voters: [1, 2, 3],
      learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } };
    const syncDir = tempDir(cleanups);
    const bgDir = tempDir(cleanups);
    // The same file system without background writes: save() in one turn.
    const syncOnly = Object.assign(Object.create(nodeFileSystem) as FileSystem,
      { writeFileDurably: undefined });
    const syncFile = new SnapshotStore(syncOnly, syncDir).save(snap);
    const bgStore = new SnapshotStore(nodeFileSystem, bgDir);
    const bgFile = (await bgStore.saveInBackground(snap)).install();
    assert.equal(path.basename(bgFile.path), path.basename(syncFile.path));
    const bytes = fs.readFileSync(bgFile.path);
    assert.ok(bytes.equals(fs.readFileSync(syncFile.path)), 'the same bytes either way');
    assert.ok(Buffer.from(bgStore.load(bgFile).data).equals(data));
    for (const at of [0, 1_000_000, bytes.length - 1]) {
      const bad = Buffer.from(bytes);
      bad[at] = (bad[at] ?? 0) ^ 1;
      fs.writeFileSync(bgFile.path, bad);
      assert.throws(() => bgStore.load(bgFile), /corrupt/, `byte ${at} flipped`);
    }
  });
});
