/**
 * The container spawner (src/runtime/process/spawner.ts): processes started by the helper get
 * their own process group and their output on the given paths; exit codes and signals come
 * back as Node reports them; a binary that cannot start fails the spawn with the OS's code; a
 * helper that dies reports its live processes lost, and the next spawn starts a new helper. The
 * pool spreads spawns made at once over its helpers. The helper also makes FIFOs (the runtime's
 * pipe pool), or fails with mkfifo's message.
 */
import assert from 'node:assert/strict';
import {
  mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProcStat } from '../../../src/runtime/process/proc-stats.js';
import {
  Spawner, SpawnerPool, type SpawnRequest,
} from '../../../src/runtime/process/spawner.js';

describe('process runtime: container spawner helper', () => {
  let dir = '';
  let spawner: Spawner;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-spawner-'));
    spawner = new Spawner();
    spawner.start();
  });
  afterEach(() => {
    spawner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const request = (args: string[], file = '/bin/sh'): SpawnRequest => {
    const out = join(dir, 'out');
    writeFileSync(out, '');
    return { file, args, argv0: file, cwd: dir, env: { PATH: '/usr/bin:/bin', X: 'y' },
      stdout: out, stderr: undefined };
  };

  it('runs the process in its own group with env, cwd and output, and reports its exit', async () => {
    const s = await spawner.spawn(request(['-c', 'echo "$X $(pwd)"; exit 3']));
    assert.ok(s.pid > 0);
    const exit = await s.exited;
    assert.deepEqual(exit, { code: 3, signal: null, lost: false });
    assert.equal(readFileSync(join(dir, 'out'), 'utf8'), `y ${dir}\n`);
  });

  it('gives the process only stdin, stdout and stderr, default signals', async () => {
    const s = await spawner.spawn({ ...request(['30'], '/bin/sleep'), stderr: join(dir, 'out') });
    try {
      // Started means exec'd: what the process holds now is what the helper gave it.
      const fds = readdirSync(`/proc/${s.pid}/fd`).sort((x, y) => Number(x) - Number(y));
      assert.deepEqual(fds.slice(0, 3), ['0', '1', '2']);
      assert.equal(readlinkSync(`/proc/${s.pid}/fd/0`), '/dev/null');
      assert.equal(readlinkSync(`/proc/${s.pid}/fd/1`), join(dir, 'out'));
      // Beyond stdio only what this test's own process inherited open (its runner's), nothing
      // of the helper's (its pipes, the FIFOs it opened).
      const ours = new Set(readdirSync('/proc/self/fd').map((fd) => {
        try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; }
      }));
      for (const fd of fds.slice(3)) {
        const target = readlinkSync(`/proc/${s.pid}/fd/${fd}`);
        assert.ok(ours.has(target), `fd ${fd} ${target}`);
      }
      const status = readFileSync(`/proc/${s.pid}/status`, 'utf8');
      assert.match(status, /^SigBlk:\t0+$/m);
      assert.match(status, /^SigIgn:\t0+$/m);
    } finally {
      process.kill(-s.pid, 'SIGKILL');
    }
    assert.equal((await s.exited).signal, 'SIGKILL');
  });

  it('passes args and env verbatim, stderr to its own file', async () => {
    const err = join(dir, 'err');
    writeFileSync(err, '');
    const s = await spawner.spawn({ ...request(['-c', 'printf "%s|" "$@" "$E"; echo oops >&2',
      'sh', 'a b', '', 'line\nbreak', 'ü=1']), stderr: err,
    env: { PATH: '/usr/bin:/bin', E: 'x=y z' } });
    assert.deepEqual(await s.exited, { code: 0, signal: null, lost: false });
    assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'a b||line\nbreak|ü=1|x=y z|');
    assert.equal(readFileSync(err, 'utf8'), 'oops\n');
  });

  it('reports the exit of each of many processes that end at once', async () => {
    const all = await Promise.all(Array.from({ length: 20 },
      (_, i) => spawner.spawn(request(['-c', `exit ${i}`]))));
    assert.deepEqual(await Promise.all(all.map(async (s) => (await s.exited).code)),
      Array.from({ length: 20 }, (_, i) => i));
  });

  it('fails a spawn whose directory is missing, and one whose output cannot open', async () => {
    const cwd = await spawner.spawn({ ...request(['-c', 'exit 0']), cwd: join(dir, 'nope') }).then(
      () => assert.fail('expected a failure'), (e: unknown) => e as Error & { code?: string });
    assert.equal(cwd.code, 'ENOENT');
    const out = await spawner.spawn({ ...request(['-c', 'exit 0']), stdout: join(dir, 'x', 'y') })
      .then(() => assert.fail('expected a failure'), (e: unknown) => e as Error & { code?: string });
    assert.equal(out.code, 'ENOENT');
    assert.equal(spawner.waiting, 0);
  });

  it('reports a signal as the signal; the process leads a group of its own', async () => {
    const s = await spawner.spawn(request(['-c', 'sleep 30']));
    assert.equal(readProcStat(s.pid)?.pgrp, s.pid);
    process.kill(-s.pid, 'SIGTERM');
    assert.deepEqual(await s.exited, { code: null, signal: 'SIGTERM', lost: false });
  });

  it('fails a spawn that cannot exec with the OS code', async () => {
    const err = await spawner.spawn(request([], join(dir, 'missing'))).then(
      () => assert.fail('expected a failure'), (e: unknown) => e as Error & { code?: string });
    assert.equal(err.code, 'ENOENT');
    assert.match(err.message, /ENOENT/);
  });

  it('reports live processes lost when the helper dies, then starts a new helper', async () => {
    const s = await spawner.spawn(request(['-c', 'sleep 30']));
    const helperPid = parentOf(s.pid);
    assert.ok(helperPid > 0 && helperPid !== process.pid);
    process.kill(helperPid, 'SIGKILL');
    assert.deepEqual(await s.exited, { code: null, signal: null, lost: true });
    process.kill(-s.pid, 'SIGKILL');
    const again = await spawner.spawn(request(['-c', 'exit 0']));
    assert.equal((await again.exited).code, 0);
  });

  it('makes FIFOs (mode 0600), and fails with mkfifo\'s message', async () => {
    const paths = [join(dir, 'a'), join(dir, 'b')];
    await spawner.mkfifo(paths);
    for (const p of paths) {
      assert.equal(statSync(p).isFIFO(), true);
      assert.equal(statSync(p).mode & 0o777, 0o600);
    }
    assert.equal(spawner.waiting, 0, 'nothing left waiting');
    await assert.rejects(spawner.mkfifo([join(dir, 'missing', 'c')]), /mkfifo failed/);
    assert.equal(spawner.waiting, 0);
  });
});

describe('process runtime: container spawner pool', () => {
  let dir = '';
  let pool: SpawnerPool;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-spawner-pool-'));
    pool = new SpawnerPool(3);
  });
  afterEach(() => {
    pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const request = (i: number, then = ''): SpawnRequest => {
    const out = join(dir, `out${i}`);
    writeFileSync(out, '');
    return { file: '/bin/sh', args: ['-c', `echo ${i}${then}`], argv0: '/bin/sh', cwd: dir,
      env: { PATH: '/usr/bin:/bin' }, stdout: out, stderr: undefined };
  };

  it('runs spawns made one at a time', async () => {
    pool.start();
    for (let i = 0; i < 3; i++) assert.equal((await (await pool.spawn(request(i))).exited).code, 0);
  });

  it('spreads spawns made at once over its helpers, and runs every one', async () => {
    pool.start();
    const all = await Promise.all(Array.from({ length: 8 },
      (_, i) => pool.spawn(request(i, '; exec sleep 30'))));
    assert.equal(new Set(all.map((s) => parentOf(s.pid))).size, 3);
    for (const [i, s] of all.entries()) {
      process.kill(-s.pid, 'SIGKILL');
      assert.equal((await s.exited).signal, 'SIGKILL');
      assert.equal(readFileSync(join(dir, `out${i}`), 'utf8'), `${i}\n`);
    }
  });
});

/** parentOf: the ppid of pid, from /proc. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
