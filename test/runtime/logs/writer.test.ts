/**
 * CriLogWriter on real files and real pipes: a child's stdout and stderr become CRI lines
 * stamped by the injected wall clock, appends never clobber what is there, reopen() after a
 * rename cuts cleanly between the old file and the new one, and close() writes the unfinished
 * line as P.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCriLog, joinCriLines } from '../../../src/runtime/logs/decode.js';
import { CriLogWriter } from '../../../src/runtime/logs/writer.js';

const T0 = Date.UTC(2026, 10, 23, 18, 0, 0);

describe('CriLogWriter', () => {
  let dir: string;
  let now: number;
  const wallMs = (): number => now;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-logs-'));
    now = T0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('logs a child process\'s stdout and stderr through real pipes', async () => {
    const logPath = join(dir, 'pod', 'c', '0.log');
    const w = await CriLogWriter.open({ logPath, wallMs });
    const child = spawn('sh', ['-c', 'echo out; echo err >&2; printf tail'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await w.pipe(child.stdout, child.stderr);
    await w.close();
    const lines = (await readFile(logPath, 'utf8')).split('\n').filter((l) => l !== '').sort();
    assert.deepEqual(lines, [
      '2026-11-23T18:00:00.000000000Z stderr F err',
      '2026-11-23T18:00:00.000000000Z stdout F out',
      '2026-11-23T18:00:00.000000000Z stdout P tail',
    ]);
    assert.equal((await stat(logPath)).mode & 0o777, 0o640);
  });

  it('splits a child\'s 40 KB line at 16 KiB into P pieces and an F', async () => {
    const logPath = join(dir, '0.log');
    const w = await CriLogWriter.open({ logPath, wallMs });
    const child = spawn('sh', ['-c', 'head -c 40000 /dev/zero | tr "\\0" a; echo; echo next'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await w.pipe(child.stdout);
    await w.close();
    const { entries } = decodeCriLog(await readFile(logPath));
    assert.deepEqual(entries.map((e) => `${e.partial ? 'P' : 'F'}${e.content.length}`),
      ['P16384', 'P16384', 'F7232', 'F4']);
    assert.equal(joinCriLines(entries).stdout.toString(), `${'a'.repeat(40000)}\nnext\n`);
  });

  it('appends to an existing file and stamps each line when it completes', async () => {
    const logPath = join(dir, '0.log');
    await writeFile(logPath, '2026-11-23T17:00:00.000000000Z stdout F earlier\n');
    const w = await CriLogWriter.open({ logPath, wallMs });
    await w.write('stdout', Buffer.from('a'));
    now = T0 + 1500.5;
    await w.write('stdout', Buffer.from('b\n'));
    await w.close();
    assert.equal(await readFile(logPath, 'utf8'),
      '2026-11-23T17:00:00.000000000Z stdout F earlier\n' +
      '2026-11-23T18:00:01.500500000Z stdout F ab\n');
  });

  it('reopen() after a rename sends later lines to a fresh file', async () => {
    const logPath = join(dir, '0.log');
    const w = await CriLogWriter.open({ logPath, wallMs });
    await w.write('stdout', Buffer.from('before\n'));
    await w.flushed();
    await rename(logPath, `${logPath}.20261123-180000`);
    await w.write('stdout', Buffer.from('in flight\n'));
    await w.reopen();
    await w.write('stderr', Buffer.from('after\n'));
    await w.close();
    const old = joinCriLines(decodeCriLog(await readFile(`${logPath}.20261123-180000`)).entries);
    const fresh = joinCriLines(decodeCriLog(await readFile(logPath)).entries);
    assert.equal(old.stdout.toString(), 'before\nin flight\n');
    assert.equal(fresh.stderr.toString(), 'after\n');
    assert.equal(fresh.stdout.toString(), '');
  });

  it('reopen() that cannot open keeps the old file and rejects', async () => {
    const logPath = join(dir, 'c', '0.log');
    const w = await CriLogWriter.open({ logPath, wallMs });
    await rm(join(dir, 'c'), { recursive: true });
    await writeFile(join(dir, 'c'), 'a file where the directory was');
    await assert.rejects(w.reopen(), /ENOTDIR|EEXIST/);
    await w.write('stdout', Buffer.from('still logging\n'));
    await w.close();
    assert.equal(w.droppedBytes, 0);
    await assert.rejects(w.reopen(), /is closed: container exited/);
  });

  it('holds a fast producer to the disk\'s pace within its bound', async () => {
    const logPath = join(dir, '0.log');
    const w = await CriLogWriter.open({ logPath, wallMs, maxQueuedBytes: 4096 });
    const line = Buffer.from(`${'x'.repeat(999)}\n`);
    for (let i = 0; i < 500; i++) await w.write('stdout', line);
    await w.close();
    const decoded = decodeCriLog(await readFile(logPath));
    assert.equal(decoded.entries.length, 500);
    assert.equal(w.droppedBytes, 0);
  });
});
