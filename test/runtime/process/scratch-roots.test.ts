/**
 * The process runtime's scratch roots (src/runtime/process/scratch-roots.ts): a root has a link
 * at each mount's path; a removed root is emptied and kept as a spare (same inode, reused by the
 * next container), never with anything of the container that used it; past the spare limit, or
 * when a root does not stay empty, it is removed; a new runtime reuses the spares it finds.
 */
import assert from 'node:assert/strict';
import {
  existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScratchRoots } from '../../../src/runtime/process/scratch-roots.js';

describe('process runtime: scratch roots', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-roots-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const mounts = (host: string) => [
    { containerPath: '/var/run/secrets/kubernetes.io/serviceaccount', hostPath: host,
      readonly: true },
    { containerPath: '/etc/config', hostPath: host, readonly: false },
  ];

  it('makes a root with a link at each mount path, under roots/<id>', async () => {
    const roots = new ScratchRoots(dir);
    const root = await roots.make('a', mounts('/tmp'));
    assert.equal(root, join(dir, 'roots', 'a'));
    assert.equal(readlinkSync(join(root, 'var/run/secrets/kubernetes.io/serviceaccount')), '/tmp');
    assert.equal(readlinkSync(join(root, 'etc/config')), '/tmp');
  });

  it('keeps a removed root as an empty spare and reuses that directory next', async () => {
    const roots = new ScratchRoots(dir);
    const a = await roots.make('a', mounts('/tmp'));
    writeFileSync(join(a, 'written-by-a'), 'secret');
    const inode = statSync(a).ino;
    await roots.remove('a');
    assert.equal(existsSync(a), false);
    assert.equal(roots.spareCount, 1);
    const b = await roots.make('b', []);
    assert.equal(statSync(b).ino, inode, 'the same directory, renamed');
    assert.deepEqual(readdirSync(b), [], 'nothing of the container that used it');
    assert.equal(roots.spareCount, 0);
    const c = await roots.make('c', []);
    assert.notEqual(statSync(c).ino, inode, 'no spare left: a new directory');
  });

  it('removes roots past the spare limit, and a missing root is fine', async () => {
    const roots = new ScratchRoots(dir, 1);
    await roots.make('a', []);
    await roots.make('b', []);
    await roots.remove('a');
    await roots.remove('b');
    await roots.remove('never-made');
    assert.equal(roots.spareCount, 1);
    assert.deepEqual(readdirSync(join(dir, 'roots')).sort(), ['.spare']);
    assert.equal(readdirSync(join(dir, 'roots', '.spare')).length, 1);
  });

  it('a new runtime finds the spares of the last one; concurrent makes get distinct ones',
    async () => {
      const first = new ScratchRoots(dir);
      await Promise.all(['a', 'b', 'c'].map((id) => first.make(id, [])));
      await Promise.all(['a', 'b', 'c'].map((id) => first.remove(id)));
      const next = new ScratchRoots(dir);
      assert.equal(next.spareCount, 3);
      const made = await Promise.all(['d', 'e', 'f', 'g'].map((id) => next.make(id, mounts('/'))));
      assert.equal(new Set(made.map((r) => statSync(r).ino)).size, 4);
      assert.equal(next.spareCount, 0);
      assert.equal(readdirSync(join(dir, 'roots', '.spare')).length, 0);
    });

  it('a spare directory removed under it: the root is removed, the next one is kept', async () => {
    const roots = new ScratchRoots(dir);
    await roots.make('a', []);
    await roots.make('b', []);
    rmSync(join(dir, 'roots', '.spare'), { recursive: true });
    await roots.remove('a');
    assert.equal(existsSync(join(dir, 'roots', 'a')), false);
    assert.equal(roots.spareCount, 0);
    await roots.remove('b');
    assert.equal(roots.spareCount, 1);
  });
});
