/**
 * The OCI layout builder: blobs are addressed by their sha256 (as sha256sum computes it), the
 * diff_id is the digest of the uncompressed layer, index.json names the image for containerd
 * and OCI tools, the .tar of the layout reads back, and skopeo accepts both forms when present.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCommand } from '../../../src/runtime/images/host-tools.js';
import {
  buildLayout,
  layoutArchive,
  writeLayoutDir,
  type ImageSpec,
} from '../../../src/runtime/images/layout.js';
import {
  layoutArchiveFiles,
  layoutDirFiles,
  readLayoutImages,
} from '../../../src/runtime/images/layout-read.js';
import type { ImageIndex, Manifest } from '../../../src/runtime/images/oci.js';
import { RootfsBuilder } from '../../../src/runtime/images/rootfs.js';

function spec(): ImageSpec {
  const fs = new RootfsBuilder().file('hello.txt', 'hello\n').dir('tmp', { mode: 0o1777 });
  const second = new RootfsBuilder().file('etc/motd', 'second layer\n');
  return {
    refs: ['docker.io/library/demo:1.0', 'docker.io/library/demo:latest'],
    config: {
      Cmd: ['sh'],
      Env: ['PATH=/bin'],
      ExposedPorts: { '80/tcp': {} },
      StopSignal: 'SIGQUIT',
    },
    layers: [fs.entries(), second.entries()],
  };
}

const sha256sum = (p: string) => execFileSync('sha256sum', [p], { encoding: 'utf8' }).split(' ')[0];

describe('images: OCI layout', function () {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-images-layout-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes content-addressed blobs, manifest, config with diff_ids, named index', async () => {
    const layout = buildLayout(spec());
    const out = join(dir, 'oci');
    await writeLayoutDir(layout, out);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'oci-layout'), 'utf8')), {
      imageLayoutVersion: '1.0.0',
    });
    for (const [path] of layout.files) {
      if (path.startsWith('blobs/'))
        assert.equal(sha256sum(join(out, path)), path.split('/').pop());
    }
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as ImageIndex;
    assert.deepEqual(
      index.manifests.map((m) => m.annotations),
      [
        {
          'io.containerd.image.name': 'docker.io/library/demo:1.0',
          'org.opencontainers.image.ref.name': '1.0',
        },
        {
          'io.containerd.image.name': 'docker.io/library/demo:latest',
          'org.opencontainers.image.ref.name': 'latest',
        },
      ],
    );
    const manifestHex = layout.manifestDigest.slice(7);
    const manifest = JSON.parse(
      readFileSync(join(out, 'blobs/sha256', manifestHex), 'utf8'),
    ) as Manifest;
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.config.digest, layout.configDigest);
    for (const [i, l] of manifest.layers.entries()) {
      assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
      const blob = join(out, 'blobs/sha256', l.digest.slice(7));
      const tarSum = execFileSync('sh', ['-c', `gzip -dc '${blob}' | sha256sum`], {
        encoding: 'utf8',
      });
      assert.equal(`sha256:${tarSum.split(' ')[0]}`, layout.diffIds[i]);
    }
    const images = await readLayoutImages(layoutDirFiles(out));
    assert.deepEqual(
      images.map((i) => i.ref),
      ['docker.io/library/demo:1.0', 'docker.io/library/demo:latest'],
    );
    assert.equal(images[0]?.config.config?.StopSignal, 'SIGQUIT');
    assert.equal(images[0]?.config.architecture, 'amd64');
  });

  it('builds the same digests twice and its .tar lists and reads back', async () => {
    const a = buildLayout(spec());
    assert.equal(buildLayout(spec()).manifestDigest, a.manifestDigest);
    const tarPath = join(dir, 'oci.tar');
    writeFileSync(tarPath, layoutArchive(a));
    const names = execFileSync('tar', ['-tf', tarPath], { encoding: 'utf8' }).trim().split('\n');
    assert.ok(names.includes('oci-layout') && names.includes('index.json'));
    assert.ok(names.includes(`blobs/sha256/${a.manifestDigest.slice(7)}`));
    const images = await readLayoutImages(await layoutArchiveFiles(tarPath));
    assert.equal(images.length, 2);
    assert.equal(images[1]?.manifestDigest, a.manifestDigest);
  });

  it('refuses a tampered blob', async () => {
    const layout = buildLayout(spec());
    const out = join(dir, 'oci');
    await writeLayoutDir(layout, out);
    writeFileSync(join(out, 'blobs/sha256', layout.configDigest.slice(7)), '{"tampered":true}');
    await assert.rejects(readLayoutImages(layoutDirFiles(out)), /is corrupt/);
  });

  it('is accepted by skopeo inspect as oci: and oci-archive:', async function () {
    const skopeo = findCommand('skopeo');
    if (skopeo === null) this.skip(); // skopeo is optional (apt package skopeo)
    const layout = buildLayout(spec());
    const out = join(dir, 'oci');
    await writeLayoutDir(layout, out);
    writeFileSync(join(dir, 'oci.tar'), layoutArchive(layout));
    for (const src of [`oci:${out}:1.0`, `oci-archive:${join(dir, 'oci.tar')}:1.0`]) {
      const info = JSON.parse(execFileSync(skopeo, ['inspect', src], { encoding: 'utf8' })) as {
        Digest: string;
        Architecture: string;
        Layers: string[];
      };
      assert.equal(info.Digest, layout.manifestDigest, src);
      assert.equal(info.Architecture, 'amd64');
      assert.equal(info.Layers.length, 2);
    }
  });
});
