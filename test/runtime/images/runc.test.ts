/**
 * The built images run as real containers: each image's layers (from the store, overlay-mounted
 * as a runtime would) plus its config's process (Entrypoint + Cmd, User) under runc. busybox runs
 * its shell, pause runs as 65535 and exits 0 on SIGTERM, nginx serves the welcome page inside
 * its own network namespace. Root only; everything is removed afterwards.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildImage, imageStoreFor } from '../../../src/runtime/images/build.js';
import { findCommand } from '../../../src/runtime/images/host-tools.js';
import { PackageDownloadError } from '../../../src/runtime/images/recipes/debian-packages.js';

const run = promisify(execFile);

/** What one container needs: its rootfs mount and bundle, cleaned up by the caller. */
interface Bundle {
  id: string;
  dir: string;
  merged: string;
}

describe('images: built images run under runc', function () {
  this.timeout(120_000);
  let dir = '';
  let runcRoot = '';
  let nginxAvailable = true;
  let seq = 0;
  const bundles: Bundle[] = [];

  before(async function () {
    if (
      process.getuid?.() !== 0 ||
      findCommand('runc') === null ||
      findCommand('busybox') === null
    ) {
      this.skip(); // needs root, runc and busybox-static
    }
    dir = await mkdtemp(join(tmpdir(), 'k8ts-images-runc-'));
    runcRoot = join(dir, 'runc-root');
    await buildImage('busybox', join(dir, 'cache'));
    await buildImage('registry.k8s.io/pause:3.9', join(dir, 'cache'));
    await buildImage('nginx:1.25', join(dir, 'cache')).catch((e: unknown) => {
      if (!(e instanceof PackageDownloadError)) throw e;
      nginxAvailable = false;
    });
  });

  afterEach(async () => {
    for (const b of bundles.splice(0)) {
      await run('runc', ['--root', runcRoot, 'delete', '--force', b.id]).catch(() => undefined);
      await run('umount', [b.merged]).catch(() => undefined);
    }
  });

  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  /** prepare mounts the image's layers and writes a runc bundle running its configured process. */
  async function prepare(ref: string, extraCaps: string[] = [], args?: string[]): Promise<Bundle> {
    const rootfs = await imageStoreFor(join(dir, 'cache')).rootfs(ref);
    assert.ok(rootfs, `${ref} is in the store`);
    const id = `k8ts-images-${process.pid}-${++seq}`;
    const b = { id, dir: join(dir, id), merged: join(dir, id, 'rootfs') };
    for (const sub of ['upper', 'work', 'rootfs'])
      await mkdir(join(b.dir, sub), { recursive: true });
    const lower = rootfs.lowerDirs.join(':');
    const upper = `upperdir=${join(b.dir, 'upper')},workdir=${join(b.dir, 'work')}`;
    const opts = `lowerdir=${lower},${upper}`;
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', opts, b.merged]);
    bundles.push(b);
    execFileSync('runc', ['spec', '--bundle', b.dir]);
    const spec = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
    const c = rootfs.config.config ?? {};
    const [uid, gid] = (c.User ?? '0:0').split(':').map(Number);
    spec.process.terminal = false;
    spec.process.args = args ?? [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
    spec.process.env = c.Env ?? [];
    spec.process.user = { uid: uid ?? 0, gid: gid ?? uid ?? 0 };
    spec.root = { path: 'rootfs', readonly: false };
    for (const set of ['bounding', 'effective', 'permitted']) {
      spec.process.capabilities[set].push('CAP_SETUID', 'CAP_SETGID', 'CAP_CHOWN', ...extraCaps);
    }
    writeFileSync(join(b.dir, 'config.json'), JSON.stringify(spec));
    return b;
  }

  function runToExit(b: Bundle) {
    return run('runc', ['--root', runcRoot, 'run', '--bundle', b.dir, b.id], { timeout: 60_000 });
  }

  it('busybox: the image shell runs with its users, /tmp and applets', async () => {
    const script = 'id -u; head -1 /etc/passwd; stat -c %a /tmp; which wget';
    const b = await prepare('busybox', [], ['sh', '-c', script]);
    const { stdout } = await runToExit(b);
    assert.equal(stdout, '0\nroot:x:0:0:root:/root:/bin/sh\n1777\n/bin/wget\n');
  });

  it('pause: runs as 65535 until SIGTERM, then exits 0', async () => {
    const b = await prepare('registry.k8s.io/pause:3.9');
    const child = spawn('runc', ['--root', runcRoot, 'run', '--bundle', b.dir, b.id], {
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    const deadline = Date.now() + 20_000;
    let pid = 0;
    while (pid === 0) {
      assert.ok(Date.now() < deadline, 'pause did not start');
      const st = await run('runc', ['--root', runcRoot, 'state', b.id]).catch(() => null);
      const state = st === null ? null : (JSON.parse(st.stdout) as { status: string; pid: number });
      if (state?.status === 'running' && hasChild(state.pid)) pid = state.pid;
      else await new Promise((r) => setTimeout(r, 50));
    }
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    assert.match(status, /^Uid:\s+65535\s/m);
    await run('runc', ['--root', runcRoot, 'kill', b.id, 'TERM']);
    assert.equal(await exited, 0);
  });

  it('nginx: serves the welcome page on port 80 inside its network namespace', async function () {
    if (!nginxAvailable) this.skip(); // the Debian archive was unreachable
    const serveAndFetch = [
      'ip link set lo up',
      'nginx -g "daemon off;" &',
      // nginx logs a request after its answer is sent: a graceful quit, waited for, lets it
      // finish that line before the container's init (this shell) exits.
      'for i in $(seq 100); do',
      '  wget -qO- http://127.0.0.1/ 2>/dev/null && { nginx -s quit; wait; exit 0; }',
      '  sleep 0.1',
      'done',
      'exit 1',
    ].join('\n');
    const b = await prepare('nginx:1.25', ['CAP_NET_ADMIN'], ['sh', '-c', serveAndFetch]);
    const { stdout } = await runToExit(b);
    assert.match(stdout, /<title>Welcome to nginx!<\/title>/);
    assert.match(stdout, /GET \/ HTTP\/1\.1" 200/, 'the access log goes to stdout');
  });
});

/** hasChild says whether pid has a child process (pause's sleep: the trap is installed). */
function hasChild(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim() !== '';
  } catch {
    return false;
  }
}
