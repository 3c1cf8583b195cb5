import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DURABLE_CHUNK_BYTES, nodeFileSystem } from '../../../src/raft/io/fs.js';
import { tempDir } from './support.js';

describe('NodeFileSystem.writeFileDurably', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((f) => f()));

  it('writes files of any size exactly, in chunks, replacing what was there', async () => {
    const dir = tempDir(cleanups);
    const file = path.join(dir, 'image');
    const sizes = [0, 1, DURABLE_CHUNK_BYTES, 2 * DURABLE_CHUNK_BYTES + 12345];
    for (const size of sizes) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 31 + size) & 0xff;
      await nodeFileSystem.writeFileDurably!(file, [data]);
      assert.ok(fs.readFileSync(file).equals(data), `size ${size}`);
      // The same bytes in uneven pieces, across the sync boundaries.
      const pieces = [0, 7, DURABLE_CHUNK_BYTES - 3, size].filter((x) => x <= size)
        .map((at, i, xs) => data.subarray(at, xs[i + 1] ?? size));
      await nodeFileSystem.writeFileDurably!(file, pieces);
      assert.ok(fs.readFileSync(file).equals(data), `size ${size}, in pieces`);
    }
  });
});

