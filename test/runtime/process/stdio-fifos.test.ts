/**
 * Where a container's pipes live: flat in the runtime's io directory (no directory per
 * container to make and remove), except for a container an older runtime started, whose pipes
 * stay in their directory and go with it on removal, or stay flat in the state directory's io/
 * when the runtime now keeps them on tmpfs; and where that tmpfs directory is (fifo-dir.ts).
 */
import assert from 'node:assert/strict';
import {
  chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fifoDirName, fifoRoot, removeFifoDirs } from '../../../src/runtime/process/fifo-dir.js';
import {
  fifoPaths, flatFifoPaths, removeFifos,
} from '../../../src/runtime/process/stdio-fifos.js';

describe('process runtime: pipe paths', () => {
  let io: string;
  beforeEach(() => {
    io = mkdtempSync(join(tmpdir(), 'k8ts-fifo-paths-'));
  });
  afterEach(() => rmSync(io, { recursive: true, force: true }));

  it('lays pipes out flat, with stderr unless tty and stdin only when asked', async () => {
    const p = fifoPaths(io, 'abc', false, true);
    assert.deepEqual(p, {
      legacyDir: undefined, stdout: join(io, 'abc.stdout'), stderr: join(io, 'abc.stderr'),
      stdin: join(io, 'abc.stdin'),
    });
    assert.equal(fifoPaths(io, 'abc', true, false).stderr, undefined);
    assert.equal(fifoPaths(io, 'abc', true, false).stdin, undefined);
    for (const f of [p.stdout, p.stderr, p.stdin]) writeFileSync(f ?? '', '');
    writeFileSync(join(io, 'other.stdout'), '');
    await removeFifos(p);
    assert.equal(existsSync(p.stdout), false);
    assert.equal(existsSync(p.stdin ?? ''), false);
    assert.equal(existsSync(join(io, 'other.stdout')), true, 'another container keeps its pipes');
  });

  it('names a new container\'s pipes without looking as fifoPaths finds them', () => {
    // The supervisor uses flatFifoPaths for the containers it made (no existence checks).
    for (const [tty, stdin] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      assert.deepEqual(flatFifoPaths(io, 'abc', tty, stdin), fifoPaths(io, 'abc', tty, stdin));
    }
  });

  it('keeps an older runtime\'s per-container directory and removes it whole', async () => {
    mkdirSync(join(io, 'old'));
    const p = fifoPaths(io, 'old', false, false);
    assert.deepEqual(p, {
      legacyDir: join(io, 'old'), stdout: join(io, 'old', 'stdout'),
      stderr: join(io, 'old', 'stderr'), stdin: undefined,
    });
    writeFileSync(p.stdout, '');
    await removeFifos(p);
    assert.equal(existsSync(join(io, 'old')), false);
  });

  it('finds the pipes of a container started before they moved, flat in the old io dir', () => {
    const old = join(io, 'state-io');
    const now = join(io, 'tmpfs-io');
    mkdirSync(old);
    mkdirSync(now);
    writeFileSync(join(old, 'prev.stdout'), '');
    assert.equal(fifoPaths(now, 'prev', false, false, old).stdout, join(old, 'prev.stdout'));
    assert.equal(fifoPaths(now, 'prev', false, false, old).stderr, join(old, 'prev.stderr'));
    assert.equal(fifoPaths(now, 'new', false, false, old).stdout, join(now, 'new.stdout'));
    mkdirSync(join(old, 'older'));
    assert.equal(fifoPaths(now, 'older', false, false, old).legacyDir, join(old, 'older'));
  });
});

describe('process runtime: the pipes\' directory', () => {
  it('names it after the state directory and the user', () => {
    assert.equal(fifoDirName('/a/state', 1000), fifoDirName('/a/state', 1000));
    assert.notEqual(fifoDirName('/a/state', 1000), fifoDirName('/b/state', 1000));
    assert.notEqual(fifoDirName('/a/state', 1000), fifoDirName('/a/state', 1001));
    assert.match(fifoDirName('/a/state', 7), /^k8ts-fifos-7-[0-9a-f]{16}$/);
  });

  it('uses a private directory on tmpfs, and the state directory without one', function () {
    if (!existsSync('/dev/shm')) this.skip();
    const state = mkdtempSync(join(tmpdir(), 'k8ts-fifo-root-'));
    try {
      const dir = fifoRoot(state, ['/dev/shm']);
      assert.equal(dir, join('/dev/shm', fifoDirName(state, process.getuid?.() ?? 0)));
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(fifoRoot(state, ['/dev/shm']), dir, 'the same directory the next time');
      rmSync(dir, { recursive: true });
      // A candidate that is not tmpfs (tmpdir() on a disk; where it is tmpfs, nothing to see).
      const onDisk = fifoRoot(state, [tmpdir()]);
      const made = join(tmpdir(), fifoDirName(state, process.getuid?.() ?? 0));
      if (onDisk === state) assert.equal(existsSync(made), false, 'what it made it removed');
      else rmSync(made, { recursive: true });
      assert.equal(fifoRoot(state, []), state);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('down --purge removes a left-behind pipe directory with its pipes, and only ours', function () {
    if (!existsSync('/dev/shm')) this.skip();
    const state = mkdtempSync(join(tmpdir(), 'k8ts-fifo-purge-'));
    const other = mkdtempSync(join(tmpdir(), 'k8ts-fifo-other-'));
    try {
      const dir = fifoRoot(state, ['/dev/shm']);
      const kept = fifoRoot(other, ['/dev/shm']);
      mkdirSync(join(dir, 'io'));
      writeFileSync(join(dir, 'io', 'left-behind'), '');
      assert.deepEqual(removeFifoDirs(state, ['/dev/shm', tmpdir()]), [dir]);
      assert.equal(existsSync(dir), false);
      assert.equal(existsSync(kept), true, 'another runtime\'s directory stays');
      assert.deepEqual(removeFifoDirs(state, ['/dev/shm']), [], 'nothing left to remove');
      rmSync(kept, { recursive: true });
    } finally {
      rmSync(state, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a directory others can enter', function () {
    if (!existsSync('/dev/shm')) this.skip();
    const state = mkdtempSync(join(tmpdir(), 'k8ts-fifo-open-'));
    const dir = join('/dev/shm', fifoDirName(state, process.getuid?.() ?? 0));
    try {
      mkdirSync(dir, { mode: 0o777 });
      chmodSync(dir, 0o777);
      assert.equal(fifoRoot(state, ['/dev/shm']), state);
      assert.equal(existsSync(dir), true, 'a directory it did not make is left alone');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });
});
