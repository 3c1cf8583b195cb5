/**
 * The recipes and the build cache: busybox builds from the host's static busybox and its binary
 * runs from the unpacked layer; the pause entrypoint sleeps until SIGTERM and exits 0; nginx
 * builds from Debian's packages and passes `nginx -t` in its own root; builds happen once per
 * cache and stay consistent when processes race.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  buildImage,
  ensureBuiltinImages,
  imageStoreFor,
  NoRecipeError,
  pullImage,
} from '../../../src/runtime/images/build.js';
import { findCommand } from '../../../src/runtime/images/host-tools.js';
import { PackageDownloadError } from '../../../src/runtime/images/recipes/debian-packages.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const CHILD = join(import.meta.dirname, 'fixtures/build-child.ts');

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('images: recipes and build cache', function () {
  this.timeout(120_000);
  let dir = '';
  before(function () {
    if (findCommand('busybox') === null) this.skip(); // apt package busybox-static
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-images-build-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('builds busybox under both tags; its binary runs from the unpacked layer', async () => {
    const deadPid = spawnSync('true').pid ?? 0;
    const orphan = join(dir, 'scratch', `busybox-${deadPid}-abcdef`);
    const live = join(dir, 'scratch', `busybox-${process.pid}-abcdef`);
    mkdirSync(orphan, { recursive: true });
    mkdirSync(live);
    const built = await buildImage('busybox', dir);
    assert.ok(!existsSync(orphan), 'a crashed build’s scratch dir is removed');
    assert.ok(existsSync(live), 'a live build’s scratch dir is kept');
    const store = imageStoreFor(dir);
    const img = await store.status('busybox:1.36');
    assert.equal(img?.id, built.id);
    assert.deepEqual(img?.repoTags, [
      'docker.io/library/busybox:1.36',
      'docker.io/library/busybox:latest',
    ]);
    assert.deepEqual(img?.config.config?.Cmd, ['sh']);
    const rootfs = await store.rootfs('busybox');
    const layer = rootfs?.lowerDirs[0] ?? '';
    const { stdout } = await run(join(layer, 'bin/busybox'), ['echo', 'hello from the image']);
    assert.equal(stdout, 'hello from the image\n');
    assert.equal(
      execFileSync(join(layer, 'bin/sh'), ['-c', 'echo $((6*7))'], { encoding: 'utf8' }),
      '42\n',
    );
    assert.equal(realpathSync(join(layer, 'bin/sh')), realpathSync(join(layer, 'bin/busybox')));
    assert.match(readFileSync(join(layer, 'etc/passwd'), 'utf8'), /^root:x:0:0:/);
    assert.equal(statSync(join(layer, 'tmp')).mode & 0o7777, 0o1777);
    const again = await buildImage('docker.io/library/busybox:latest', dir);
    assert.equal(again.id, built.id);
    assert.equal(again.archivePath, built.archivePath);
  });

  it('builds pause: its entrypoint keeps running and exits 0 on SIGTERM', async () => {
    const built = await buildImage('registry.k8s.io/pause:3.9', dir);
    const rootfs = await imageStoreFor(dir).rootfs(built.id);
    assert.deepEqual(rootfs?.config.config?.Entrypoint, ['/pause']);
    const layer = rootfs?.lowerDirs[0] ?? '';
    const child = spawn(join(layer, 'bin/sh'), [join(layer, 'pause')], { stdio: 'ignore' });
    try {
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => resolve(code)),
      );
      // The trap is installed once the shell forked its sleep: wait for that child to exist.
      await until('pause to start its sleep', () => hasChild(child.pid ?? 0));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('builds nginx from Debian packages; nginx -t passes inside its own root', async function () {
    let built;
    try {
      built = await buildImage('nginx:1.25', dir);
    } catch (e) {
      if (e instanceof PackageDownloadError) {
        console.log(
          `      skipped: the Debian archive is unreachable (${e.message.split('\n')[0]})`,
        );
        this.skip();
      }
      throw e;
    }
    const store = imageStoreFor(dir);
    const img = await store.status('nginx');
    assert.equal(img?.id, built.id);
    assert.equal(img?.config.config?.StopSignal, 'SIGQUIT');
    assert.deepEqual(img?.config.config?.ExposedPorts, { '80/tcp': {} });
    const layer = (await store.rootfs('nginx:1.25'))?.lowerDirs[0] ?? '';
    assert.match(
      readFileSync(join(layer, 'usr/share/nginx/html/index.html'), 'utf8'),
      /Welcome to nginx!/,
    );
    if (!isRoot) return; // chroot needs root
    const { stderr } = await run('chroot', [layer, '/usr/sbin/nginx', '-t']);
    assert.match(stderr, /test is successful/);
    const { stdout } = await run('chroot', [layer, 'bash', '-c', 'echo $((1+1))']);
    assert.equal(stdout, '2\n');
  });

  it('builds once per cache even when processes race, and leaves no temporaries', async () => {
    const children = [0, 1, 2].map(() =>
      run(process.execPath, ['--import', 'tsx', CHILD, 'busybox', dir]),
    );
    const inProcess = Promise.all([buildImage('busybox', dir), buildImage('busybox:1.36', dir)]);
    const ids = [
      ...(await Promise.all(children)).map((r) => r.stdout.trim()),
      ...(await inProcess).map((b) => b.id),
    ];
    assert.equal(new Set(ids).size, 1, `one image id: ${ids.join(' ')}`);
    const store = imageStoreFor(dir);
    const images = await store.list();
    assert.equal(images.length, 1);
    assert.deepEqual(images[0]?.repoTags, [
      'docker.io/library/busybox:1.36',
      'docker.io/library/busybox:latest',
    ]);
    for (const sub of ['layers', 'blobs/sha256', 'images', 'refs', 'archives']) {
      assert.deepEqual(
        readdirSync(join(dir, sub)).filter((f) => f.startsWith('.tmp-')),
        [],
        sub,
      );
    }
    assert.equal(readdirSync(join(dir, 'layers')).length, 1);
    assert.ok(!existsSync(join(dir, 'lock')), 'the store lock is released');
    assert.equal((await store.rootfs('busybox'))?.lowerDirs.length, 1);
  });

  it('ensureBuiltinImages reports every recipe, and unknown images have no recipe', async () => {
    const outcomes = await ensureBuiltinImages(dir);
    assert.deepEqual(
      outcomes.map((o) => o.recipe),
      ['pause', 'busybox', 'nginx'],
    );
    for (const o of outcomes) {
      if (!o.ok)
        assert.ok(o.error instanceof PackageDownloadError, `${o.recipe}: ${o.error.message}`);
    }
    const tags = (await imageStoreFor(dir).list()).flatMap((i) => i.repoTags);
    assert.ok(
      tags.includes('registry.k8s.io/pause:3.9') &&
        tags.includes('docker.io/library/busybox:latest'),
    );
    await assert.rejects(buildImage('redis:7', dir), NoRecipeError);
    await assert.rejects(pullImage('redis:7', dir), /failed to pull and unpack image/);
    const busybox = await pullImage('busybox', dir);
    assert.equal((await pullImage(busybox.id, dir)).id, busybox.id, 'present images are used');
  });
});

/** hasChild says whether pid has a child process (read from /proc). */
function hasChild(pid: number): boolean {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return children.trim() !== '';
  } catch {
    return false;
  }
}
