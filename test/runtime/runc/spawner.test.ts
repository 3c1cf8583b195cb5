/**
 * The runc runtime's host tool helper (src/runtime/runc/spawner.ts): request/reply framing, and
 * a real Perl helper running tools with runCommand's contract (exit codes, output, stdin,
 * timeouts, missing binaries), the sync pipe conmon reports on, and the in-flight bound; as root,
 * the system calls it makes itself instead of tools (mount, umount, a new network namespace).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountPoints } from '../../../src/runtime/mounts.js';
import { decodeReplies, encodeRequest, mountFs, ToolSpawner,
  unmountDetached } from '../../../src/runtime/runc/spawner.js';

describe('runc host tool helper', function () {
  this.timeout(20_000);
  let tools: ToolSpawner;
  beforeEach(() => {
    tools = new ToolSpawner(2);
  });
  afterEach(() => tools.close());

  it('frames a request with its lengths and decodes split replies', () => {
    const req = encodeRequest(7, ['echo', 'a b'], { input: 'in', env: { K: 'v' }, cwd: '/t' })
      .toString();
    assert.equal(req, 'R 7 0 0 1 2 2 2 0 0 3 4 3\nK=vechoa bin/t');
    const inNetns = encodeRequest(8, ['ip'], { netnsPath: '/n' }).toString();
    assert.equal(inNetns, 'R 8 0 0 0 1 0 0 0 2 2\nip/n');
    const call = encodeRequest(9, ['umount2', '/m', '2'], { syscall: true }).toString();
    assert.equal(call, 'S 9 3 7 2 1\numount2/m2');
    const reply = Buffer.from('4 3 2 1 0\nokE5 0 0 0 3\n{x}');
    const first = decodeReplies(reply.subarray(0, 14));
    assert.deepEqual(first.replies.map((r) => r.id), [4]);
    assert.deepEqual(first.replies[0]?.result, { code: 3, stdout: 'ok', stderr: 'E', sync: '' });
    const rest = decodeReplies(Buffer.concat([first.rest, reply.subarray(14)]));
    assert.deepEqual(rest.replies[0]?.result, { code: 0, stdout: '', stderr: '', sync: '{x}' });
    assert.equal(rest.rest.length, 0);
  });

  it('runs a tool: exit code, stdout, stderr, stdin, env and cwd', async () => {
    const r = await tools.run(['sh', '-c', 'cat; echo "$K $(pwd)"; echo err >&2; exit 3'],
      { input: 'from stdin\n', env: { K: 'v' }, cwd: '/tmp' });
    assert.deepEqual(r, { code: 3, stdout: 'from stdin\nv /tmp\n', stderr: 'err\n', sync: '' });
  });

  it('kills a tool at its timeout (128 + SIGKILL) and rejects a missing binary', async () => {
    const started = Date.now();
    const r = await tools.run(['sleep', '10'], { timeoutMs: 100 });
    assert.equal(r.code, 137);
    assert.ok(Date.now() - started < 5_000);
    await assert.rejects(tools.run(['/nonexistent/tool']), /nonexistent/);
  });

  it('answers a synced tool once fd 3 carries a JSON object, stderr to a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-spawner-'));
    try {
      const errPath = join(dir, 'err');
      const started = Date.now();
      const r = await tools.runSynced(['sh', '-c',
        'echo oops >&2; printf \'{"data": 42}\' >&3; sleep 5'],
      { detached: true, stderrPath: errPath }, () => Promise.reject(new Error('direct')));
      assert.equal(r.sync, '{"data": 42}');
      assert.ok(Date.now() - started < 4_000, 'did not wait for the tool to exit');
      assert.equal(await readFile(errPath, 'utf8'), 'oops\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs at most maxInFlight tools at once', async () => {
    const started = Date.now();
    await Promise.all([1, 2, 3, 4].map(() => tools.run(['sleep', '0.3'])));
    assert.ok(Date.now() - started >= 550, 'four 0.3 s tools two at a time take ≥ 0.6 s');
  });

  it('makes mount and umount2 itself, and runs a tool in a new bound netns', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-spawner-'));
    try {
      const target = join(dir, 'mnt');
      await mkdir(target);
      await mountFs('tmpfs', target, 'tmpfs', 'size=1m,mode=0700');
      assert.deepEqual(await mountPoints(target), [target]);
      assert.equal((await stat(target)).mode & 0o777, 0o700, 'the options reached the kernel');
      await assert.rejects(mountFs('none', join(dir, 'absent'), 'tmpfs', ''), /absent/);
      assert.equal((await unmountDetached(target)).code, 0);
      assert.deepEqual(await mountPoints(target), []);
      assert.notEqual((await unmountDetached(target)).code, 0, 'nothing is mounted there now');

      const netns = join(dir, 'netns');
      await writeFile(netns, '');
      const r = await tools.runInNewNetns(netns, ['ip', '-o', 'link', 'show']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(':')[1]?.trim()), ['lo']);
      assert.deepEqual(await mountPoints(netns), [netns], 'the namespace outlives the tool');
      assert.equal((await unmountDetached(netns)).code, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
