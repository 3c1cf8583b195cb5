/**
 * The tar writer/reader, gzip and digests against the system tools: GNU tar must list and
 * extract what we write (modes, symlinks, long names), our reader must parse what GNU tar
 * writes, `gzip -t` must accept our layers, and digests must equal sha256sum's.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Digest } from '../../../src/runtime/images/digest.js';
import { gzipLikeGzipN } from '../../../src/runtime/images/layout.js';
import type { TarEntry } from '../../../src/runtime/images/tar-entry.js';
import { readTar } from '../../../src/runtime/images/tar-read.js';
import { FIXED_MTIME_SEC, paxRecord, writeTar } from '../../../src/runtime/images/tar-write.js';

const LONG_DIR = `deep/${'d'.repeat(120)}/${'e'.repeat(90)}`;
const LONG_FILE = `${LONG_DIR}/${'f'.repeat(110)}.txt`;

function sample(): TarEntry[] {
  const root = { uid: 0, gid: 0 };
  return [
    {
      type: 'file',
      path: 'bin/tool',
      mode: 0o755,
      data: Buffer.from('#!/bin/sh\necho hi\n'),
      ...root,
    },
    { type: 'dir', path: 'tmp', mode: 0o1777, ...root },
    { type: 'symlink', path: 'bin/sh', target: '/bin/tool', mode: 0o777, ...root },
    { type: 'file', path: 'etc/empty', mode: 0o600, data: new Uint8Array(0), ...root },
    { type: 'file', path: LONG_FILE, mode: 0o644, data: Buffer.from('long'), ...root },
    { type: 'symlink', path: 'long-link', target: `/${LONG_FILE}`, mode: 0o777, ...root },
    { type: 'file', path: 'blob', mode: 0o644, data: Buffer.alloc(1000, 7), uid: 33, gid: 33 },
    { type: 'file', path: 'bin/setuid', mode: 0o4755, data: Buffer.from('x'), ...root },
  ];
}

describe('images: tar, gzip, digests', function () {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-images-tar-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes archives GNU tar extracts with modes, owners, symlinks, long names', () => {
    const tarPath = join(dir, 'a.tar');
    writeFileSync(tarPath, writeTar(sample()));
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', tarPath], { encoding: 'utf8' });
    assert.match(listing, /drwxrwxrwt 0\/0 .* tmp\//);
    assert.match(listing, /-rwsr-xr-x 0\/0 .* bin\/setuid/);
    assert.match(listing, /-rw-r--r-- 33\/33 .* blob/);
    assert.ok(listing.includes(LONG_FILE), 'the pax path record carries the long name');
    const out = join(dir, 'x');
    mkdirSync(out);
    execFileSync('tar', ['-xpf', tarPath, '-C', out]);
    assert.equal(readFileSync(join(out, 'bin/tool'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal(lstatSync(join(out, 'bin/tool')).mode & 0o7777, 0o755);
    assert.equal(lstatSync(join(out, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(readlinkSync(join(out, 'bin/sh')), '/bin/tool');
    assert.equal(readlinkSync(join(out, 'long-link')), `/${LONG_FILE}`);
    assert.equal(readFileSync(join(out, LONG_FILE), 'utf8'), 'long');
    assert.equal(lstatSync(join(out, 'bin/tool')).mtimeMs, FIXED_MTIME_SEC * 1000);
  });

  it('is deterministic: member order does not change the bytes, and members come sorted', () => {
    const a = writeTar(sample());
    const b = writeTar([...sample()].reverse());
    assert.equal(sha256Digest(a), sha256Digest(b));
    const paths = readTar(a).map((e) => e.path);
    assert.deepEqual(paths, [...paths].sort());
  });

  it('reads back its own archives exactly', () => {
    const back = readTar(writeTar(sample()));
    const byPath = new Map(back.map((e) => [e.path, e]));
    for (const e of sample()) {
      const got = byPath.get(e.path);
      assert.ok(got, `missing ${e.path}`);
      assert.equal(got.type, e.type);
      assert.equal(got.mode, e.mode);
      assert.equal(got.uid, e.uid);
      if (e.type === 'file' && got.type === 'file')
        assert.deepEqual(Buffer.from(got.data), Buffer.from(e.data));
      if (e.type === 'symlink' && got.type === 'symlink') assert.equal(got.target, e.target);
    }
  });

  it('reads what GNU tar writes (pax and gnu formats, long names, symlinks, hard links)', () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, LONG_DIR), { recursive: true });
    writeFileSync(join(src, LONG_FILE), 'gnu');
    symlinkSync('target', join(src, 'link'));
    writeFileSync(join(src, 'target'), 'T');
    execFileSync('ln', [join(src, 'target'), join(src, 'hard')]);
    for (const format of ['pax', 'gnu']) {
      const t = join(dir, `${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '--sort=name', '-C', src, '-cf', t, '.']);
      const byPath = new Map(readTar(readFileSync(t)).map((e) => [e.path, e]));
      const long = byPath.get(LONG_FILE);
      assert.ok(long?.type === 'file' && Buffer.from(long.data).toString() === 'gnu', format);
      const link = byPath.get('link');
      assert.ok(link?.type === 'symlink' && link.target === 'target', format);
      // Sorted by name, "hard" is archived first, so "target" is the hard link to it.
      const hard = byPath.get('target');
      assert.ok(hard?.type === 'hardlink' && hard.target === 'hard', format);
    }
  });

  it('rejects corrupt headers and members that escape the root', () => {
    const bad = writeTar(sample());
    bad[0] = (bad[0] ?? 0) ^ 0xff;
    assert.throws(() => readTar(bad), /checksum mismatch/);
    const src = join(dir, 'evil');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'x');
    const t = join(dir, 'evil.tar');
    execFileSync('tar', ['-C', src, '-cf', t, '--transform=s,^f$,../../f,', 'f']);
    assert.throws(() => readTar(readFileSync(t)), /escapes the archive root/);
  });

  it('pax records count their own length (also across a digit boundary)', () => {
    for (const n of [1, 85, 86, 87, 990, 995, 1000]) {
      const rec = paxRecord('path', 'p'.repeat(n));
      const len = Number(rec.toString().split(' ')[0]);
      assert.equal(len, rec.length, `value length ${n}`);
    }
  });

  it('gzips like gzip -n (no name, mtime 0) and gzip -t accepts it', () => {
    const data = writeTar(sample());
    const gz = gzipLikeGzipN(data);
    assert.equal(gz[3], 0, 'no FNAME/FCOMMENT/FEXTRA flags');
    assert.equal(gz.readUInt32LE(4), 0, 'mtime 0');
    const p = join(dir, 'l.tar.gz');
    writeFileSync(p, gz);
    execFileSync('gzip', ['-t', p]);
    assert.deepEqual(execFileSync('gzip', ['-dc', p]), data);
    assert.deepEqual(gzipLikeGzipN(data), gz, 'same input, same bytes');
  });

  it('digests equal sha256sum', () => {
    const p = join(dir, 'd');
    const data = writeTar(sample());
    writeFileSync(p, data);
    const sum = execFileSync('sha256sum', [p], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(sha256Digest(data), `sha256:${sum}`);
  });
});
