/**
 * The image store: import from a layout archive and directory, unpack into per-layer overlay
 * directories whose whiteouts (plain and opaque) really hide lower files when the kernel mounts
 * them, look-ups by any spelling, by id and by repo digest, and removal with layer GC that keeps
 * what another image shares.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Digest } from '../../../src/runtime/images/digest.js';
import {
  buildLayout,
  layoutArchive,
  writeLayoutDir,
  type BuiltLayout,
} from '../../../src/runtime/images/layout.js';
import { MEDIA_TYPE, type ImageConfig, type Manifest } from '../../../src/runtime/images/oci.js';
import { RootfsBuilder } from '../../../src/runtime/images/rootfs.js';
import type { TarEntry } from '../../../src/runtime/images/tar-entry.js';
import { writeTar } from '../../../src/runtime/images/tar-write.js';
import { imageUser } from '../../../src/runtime/images/image-user.js';
import { ImageStore } from '../../../src/runtime/images/store.js';

const isRoot = process.getuid?.() === 0;

/**
 * withDiffIds re-addresses a layout whose config claims other diff_ids (a config that lies
 * about its layers, with every blob digest still right).
 */
function withDiffIds(layout: BuiltLayout, diffIds: string[], ref: string): BuiltLayout {
  const files = new Map(layout.files);
  const blob = (d: string) => files.get(`blobs/sha256/${d.slice(7)}`) ?? Buffer.alloc(0);
  const put = (doc: unknown) => {
    const bytes = Buffer.from(JSON.stringify(doc));
    const digest = sha256Digest(bytes);
    files.set(`blobs/sha256/${digest.slice(7)}`, bytes);
    return { digest, size: bytes.length };
  };
  const config = JSON.parse(blob(layout.configDigest).toString()) as ImageConfig;
  config.rootfs.diff_ids = diffIds;
  const manifest = JSON.parse(blob(layout.manifestDigest).toString()) as Manifest;
  manifest.config = { ...manifest.config, ...put(config) };
  const m = put(manifest);
  const annotations = { 'io.containerd.image.name': ref };
  const index = {
    schemaVersion: 2,
    manifests: [{ mediaType: MEDIA_TYPE.manifest, ...m, annotations }],
  };
  files.set('index.json', Buffer.from(JSON.stringify(index)));
  return { ...layout, files, manifestDigest: m.digest };
}

/** The layers of the whiteout scenario, bottom first. */
function layers() {
  const base = new RootfsBuilder()
    .file('a/keep', 'keep\n')
    .file('a/gone', 'gone\n')
    .file('o/x', 'x\n')
    .file('o/sub/y', 'y\n')
    .file('top', 'v1\n')
    .dir('tmp', { mode: 0o1777 });
  const mid = new RootfsBuilder()
    .file('a/.wh.gone', '')
    .file('o/.wh..wh..opq', '')
    .file('o/new', 'new\n')
    .file('o/sub/z', 'z\n');
  const top = new RootfsBuilder().file('top', 'v2\n').file('bin/setuid', 'x', { mode: 0o4755 });
  return [base.entries(), mid.entries(), top.entries()];
}

describe('images: store', function () {
  this.timeout(30_000);
  let dir = '';
  const mounts: string[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-images-store-'));
  });
  afterEach(async () => {
    for (const m of mounts.splice(0)) execFileSync('umount', [m]);
    await rm(dir, { recursive: true, force: true });
  });

  async function importDemo(store: ImageStore, refs = ['demo:1', 'demo:latest']) {
    const layout = buildLayout({ refs, config: { Cmd: ['sh'], User: '33' }, layers: layers() });
    const tarPath = join(dir, `demo-${layout.manifestDigest.slice(7, 15)}.tar`);
    writeFileSync(tarPath, layoutArchive(layout));
    return { layout, imported: await store.importArchive(tarPath) };
  }

  it('unpacks layers whose overlay mount applies whiteouts and opaque dirs', async function () {
    if (!isRoot) this.skip(); // whiteouts are device nodes (mknod) and mounting needs root
    const store = new ImageStore(join(dir, 'store'));
    await importDemo(store);
    const rootfs = await store.rootfs('demo:1');
    assert.ok(rootfs);
    assert.equal(rootfs.lowerDirs.length, 3);
    const whiteout = lstatSync(join(rootfs.lowerDirs[1] ?? '', 'a/gone'));
    assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0, 'a/gone is a 0/0 whiteout');
    const merged = join(dir, 'merged');
    await mkdir(merged);
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${rootfs.lowerDirs.join(':')}`,
      merged,
    ]);
    mounts.push(merged);
    assert.deepEqual(readdirSync(join(merged, 'a')), ['keep']);
    assert.deepEqual(readdirSync(join(merged, 'o')).sort(), ['new', 'sub']);
    assert.deepEqual(readdirSync(join(merged, 'o/sub')), ['z']);
    assert.equal(readFileSync(join(merged, 'top'), 'utf8'), 'v2\n');
    assert.equal(lstatSync(join(merged, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(lstatSync(join(merged, 'bin/setuid')).mode & 0o7777, 0o4755);
  });

  it('finds images by any spelling, id and repo digest, and lists their tags', async function () {
    if (!isRoot) this.skip(); // the demo image has whiteouts
    const store = new ImageStore(join(dir, 'store'));
    const { layout, imported } = await importDemo(store);
    assert.equal(imported.length, 1, 'both tags name one image');
    const img = imported[0];
    assert.ok(img);
    assert.equal(img.id, layout.configDigest);
    assert.deepEqual(img.repoTags, ['docker.io/library/demo:1', 'docker.io/library/demo:latest']);
    assert.deepEqual(img.repoDigests, [`docker.io/library/demo@${layout.manifestDigest}`]);
    assert.equal(img.sizeBytes, layout.sizeBytes);
    assert.equal(img.config.config?.User, '33');
    for (const q of [
      'demo',
      'docker.io/library/demo:1',
      img.id,
      img.id.slice(7),
      `demo@${layout.manifestDigest}`,
    ]) {
      assert.equal((await store.status(q))?.id, img.id, q);
    }
    assert.equal(await store.status('demo:2'), null);
    assert.equal(await store.status(`other@${layout.manifestDigest}`), null);
    assert.equal((await store.list()).length, 1);
    assert.deepEqual(imageUser(img.config), { uid: 33 });
    const usage = await store.usage();
    assert.ok(usage.usedBytes > 0 && usage.inodesUsed > 10, JSON.stringify(usage));
    assert.equal(await store.untag('demo:latest'), true);
    assert.deepEqual((await store.status(img.id))?.repoTags, ['docker.io/library/demo:1']);
  });

  it('removes an image with all its tags and keeps layers another image shares', async function () {
    if (!isRoot) this.skip();
    const store = new ImageStore(join(dir, 'store'));
    const { imported } = await importDemo(store);
    const first = await store.rootfs('demo:1');
    const base = new RootfsBuilder()
      .file('a/keep', 'keep\n')
      .file('a/gone', 'gone\n')
      .file('o/x', 'x\n');
    const shared = layers()[0] ?? [];
    const other = buildLayout({ refs: ['other:1'], config: {}, layers: [shared, base.entries()] });
    await writeLayoutDir(other, join(dir, 'other'));
    await store.importLayoutDir(join(dir, 'other'));
    assert.equal((await store.list()).length, 2);
    assert.equal(await store.remove('demo:latest'), true);
    assert.equal(await store.status('demo:1'), null, 'removing one tag removed the image');
    assert.equal(await store.status(imported[0]?.id ?? ''), null);
    assert.equal(await store.remove('demo:1'), false);
    const kept = first?.lowerDirs[2] ?? '';
    assert.ok(existsSync(kept), 'the shared bottom layer stays');
    assert.ok(!existsSync(first?.lowerDirs[0] ?? ''), 'the unshared top layer is gone');
    const blobs = readdirSync(join(dir, 'store/blobs/sha256')).length;
    assert.equal(blobs, 4, 'only the other image’s manifest, config and two layers remain');
    assert.ok((await store.rootfs('other:1'))?.lowerDirs.every((d) => existsSync(d)));
  });

  it('imports images without whiteouts as any user; refuses a bad diff_id', async () => {
    const store = new ImageStore(join(dir, 'store'));
    const layout = buildLayout({ refs: ['plain:1'], config: {}, layers: [layers()[2] ?? []] });
    const out = join(dir, 'plain');
    await writeLayoutDir(layout, out);
    const [img] = await store.importLayoutDir(out);
    const rootfs = await store.rootfs('plain:1');
    assert.equal(readFileSync(join(rootfs?.lowerDirs[0] ?? '', 'top'), 'utf8'), 'v2\n');
    assert.equal(img?.repoTags[0], 'docker.io/library/plain:1');
    const badLayout = withDiffIds(layout, [`sha256:${'0'.repeat(64)}`], 'docker.io/library/bad:1');
    await writeLayoutDir(badLayout, join(dir, 'bad'));
    await assert.rejects(store.importLayoutDir(join(dir, 'bad')), /diff_id mismatch/);
    assert.equal(await store.status('bad:1'), null);
    assert.deepEqual(
      readdirSync(join(dir, 'store/layers')).filter((f) => f.startsWith('.tmp-')),
      [],
    );
  });
  it('refuses layers that write through their own symlinks (nothing lands outside)', async () => {
    const store = new ImageStore(join(dir, 'store'));
    const outside = join(dir, 'outside');
    await mkdir(outside);
    const root = { uid: 0, gid: 0 };
    const cases: TarEntry[][] = [
      [
        { type: 'symlink', path: 'evil', target: outside, mode: 0o777, ...root },
        { type: 'file', path: 'evil/pwned', data: Buffer.from('x'), mode: 0o644, ...root },
      ],
      [
        { type: 'symlink', path: 'evil', target: outside, mode: 0o777, ...root },
        { type: 'hardlink', path: 'h', target: 'evil/victim', mode: 0o644, ...root },
      ],
    ];
    writeFileSync(join(outside, 'victim'), 'victim');
    for (const [i, entries] of cases.entries()) {
      const layout = buildLayout({ refs: [`evil:${i}`], config: {}, layers: [entries] });
      await writeLayoutDir(layout, join(dir, `evil-${i}`));
      await assert.rejects(store.importLayoutDir(join(dir, `evil-${i}`)), /goes through a symlink/);
      assert.equal(await store.status(`evil:${i}`), null);
    }
    assert.deepEqual(readdirSync(outside), ['victim']);
  });
  it('reports the image user as containerd does', () => {
    const user = (User?: string) =>
      imageUser({
        architecture: 'amd64',
        os: 'linux',
        config: { User },
        rootfs: { type: 'layers', diff_ids: [] },
      });
    assert.deepEqual(user(undefined), {});
    assert.deepEqual(user('65535:65535'), { uid: 65535 });
    assert.deepEqual(user('www-data'), { username: 'www-data' });
    assert.deepEqual(user('nginx:nginx'), { username: 'nginx' });
  });
  it('imports docker archives (manifest.json, uncompressed layers) like ctr does', async () => {
    const store = new ImageStore(join(dir, 'store'));
    const layerTar = writeTar(layers()[2] ?? []);
    const config = {
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [sha256Digest(layerTar)] },
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configName = `${sha256Digest(configBytes).slice(7)}.json`;
    const manifest = [
      { Config: configName, RepoTags: ['saved:1', 'me/saved:2'], Layers: ['l1/layer.tar'] },
    ];
    const root = { mode: 0o644, uid: 0, gid: 0 };
    const archive = writeTar([
      { type: 'file', path: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)), ...root },
      { type: 'file', path: configName, data: configBytes, ...root },
      { type: 'file', path: 'l1/layer.tar', data: layerTar, ...root },
    ]);
    writeFileSync(join(dir, 'saved.tar'), archive);
    const [img, ...rest] = await store.importArchive(join(dir, 'saved.tar'));
    assert.equal(rest.length, 0);
    assert.equal(img?.id, sha256Digest(configBytes), 'the id is the config digest, as containerd');
    assert.deepEqual(img?.repoTags, ['docker.io/library/saved:1', 'docker.io/me/saved:2']);
    const rootfs = await store.rootfs('me/saved:2');
    assert.equal(readFileSync(join(rootfs?.lowerDirs[0] ?? '', 'top'), 'utf8'), 'v2\n');
    writeFileSync(
      join(dir, 'junk.tar'),
      writeTar([{ type: 'file', path: 'x', data: Buffer.from('x'), ...root }]),
    );
    await assert.rejects(store.importArchive(join(dir, 'junk.tar')), /neither an OCI image layout/);
  });
});
