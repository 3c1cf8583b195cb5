/**
 * Where a container's pipes live: flat in the runtime's io directory (no directory per
 * container to make and remove), except for a container an older runtime started, whose pipes
 * stay in their directory and go with it on removal.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fifoPaths, removeFifos } from '../../../src/runtime/process/stdio-fifos.js';

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
});
