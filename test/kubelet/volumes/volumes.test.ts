/**
 * Volumes: configMap/secret/downwardAPI payloads (items, modes, optional, upstream errors), the
 * atomic writer on a real directory (..data swap, visible links, no rewrite when unchanged,
 * stale entries removed), hostPath types, the layout, and container mounts with subPath,
 * subPathExpr and read-only kinds.
 */
import assert from 'node:assert/strict';
import {
  existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import { writeAtomic } from '../../../src/kubelet/volumes/atomic-writer.js';
import { setUpHostPath } from '../../../src/kubelet/volumes/host-path.js';
import {
  configMapPayload, downwardPayload, secretPayload, VolumeSetupError,
} from '../../../src/kubelet/volumes/payload.js';
import { planMounts, volumePath } from '../../../src/kubelet/volumes/plan.js';
import { mountsUnder, VolumeManager } from '../../../src/kubelet/volumes/volume-manager.js';

const cm = { metadata: { name: 'cfg' }, data: { 'app.conf': 'a=1', other: 'o' },
  binaryData: { bin: Buffer.from([1, 2]).toString('base64') } };
const text = (files: { path: string; data: Buffer; mode: number }[]) =>
  files.map((f) => `${f.path}:${f.data.toString('utf8')}:${f.mode.toString(8)}`);

describe('kubelet volumes', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-vol-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds configMap and secret payloads with items, modes and optional', () => {
    assert.deepEqual(text(configMapPayload({ name: 'cfg' }, cm)).slice(0, 2),
      ['app.conf:a=1:644', 'other:o:644']);
    assert.deepEqual(text(configMapPayload({ name: 'cfg', defaultMode: 0o400, items: [
      { key: 'app.conf', path: 'conf/app.conf', mode: 0o600 }, { key: 'other', path: 'o' }] },
    cm)), ['conf/app.conf:a=1:600', 'o:o:400']);
    assert.deepEqual(configMapPayload({ name: 'x', optional: true }, undefined), []);
    assert.throws(() => configMapPayload({ name: 'x' }, undefined),
      /^VolumeSetupError: configmap "x" not found$/);
    assert.throws(() => configMapPayload({ name: 'cfg', items: [{ key: 'k', path: 'k' }] }, cm),
      /configmap references non-existent config key: k/);
    assert.throws(() => configMapPayload({ name: 'cfg', items: [{ key: 'other',
      path: '../x' }] }, cm), VolumeSetupError);
    const s = { metadata: { name: 's' }, data: { pw: Buffer.from('pw!').toString('base64') } };
    assert.deepEqual(text(secretPayload({ secretName: 's' }, s)), ['pw:pw!:644']);
    assert.throws(() => secretPayload({ secretName: 'nope' }, undefined),
      /secret "nope" not found/);
  });

  it('writes downwardAPI files, whole label maps included', () => {
    const pod: Pod = { metadata: { name: 'p', namespace: 'n', labels: { b: '2', a: '1' } },
      spec: { containers: [{ name: 'c', resources: { limits: { memory: '32Mi' } } }] } };
    const files = downwardPayload([
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
      { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory',
        divisor: '1Mi' } },
    ], 0o644, { pod, facts: { nodeName: 'w1', hostIP: '127.0.0.1', podIPs: [] },
      allocatable: {} });
    assert.deepEqual(text(files), ['labels:a="1"\nb="2":644', 'name:p:644', 'mem:32:644']);
  });

  it('swaps ..data atomically, links visible names, and rewrites only on change', () => {
    const vol = join(dir, 'v');
    const p1 = configMapPayload({ name: 'cfg', items: [{ key: 'app.conf', path: 'conf/app.conf' },
      { key: 'other', path: 'other' }] }, cm);
    assert.equal(writeAtomic(vol, p1), true);
    assert.equal(readlinkSync(join(vol, 'conf')), '..data/conf');
    assert.equal(readFileSync(join(vol, 'conf/app.conf'), 'utf8'), 'a=1');
    const first = readlinkSync(join(vol, '..data'));
    assert.equal(writeAtomic(vol, p1), false, 'unchanged payload: nothing written');
    assert.equal(readlinkSync(join(vol, '..data')), first);
    const p2 = configMapPayload({ name: 'cfg', items: [{ key: 'app.conf', path: 'app.conf' }] },
      { ...cm, data: { ...cm.data, 'app.conf': 'a=2' } });
    assert.equal(writeAtomic(vol, p2), true);
    assert.notEqual(readlinkSync(join(vol, '..data')), first);
    assert.equal(readFileSync(join(vol, 'app.conf'), 'utf8'), 'a=2');
    assert.equal(existsSync(join(vol, 'conf')), false, 'stale visible entry removed');
    assert.equal(existsSync(join(vol, first)), false, 'old data directory removed');
    assert.equal(statSync(join(vol, 'app.conf')).mode & 0o777, 0o644);
  });

  it('checks and creates host paths by type', () => {
    setUpHostPath(join(dir, 'new/dir'), 'DirectoryOrCreate');
    assert.ok(statSync(join(dir, 'new/dir')).isDirectory());
    setUpHostPath(join(dir, 'f/file'), 'FileOrCreate');
    assert.ok(statSync(join(dir, 'f/file')).isFile());
    setUpHostPath(join(dir, 'f/file'), 'File');
    assert.throws(() => setUpHostPath(join(dir, 'f/file'), 'Directory'),
      /hostPath type check failed: .* is not a directory/);
    assert.throws(() => setUpHostPath(join(dir, 'none'), 'Directory'), /does not exist/);
    assert.throws(() => setUpHostPath(join(dir, 'f/file'), 'Socket'), /is not a socket file/);
    setUpHostPath(join(dir, 'none'), undefined);
  });

  it('lays volumes out as upstream and plans mounts with subPath and read-only kinds', () => {
    assert.equal(volumePath('/r', 'u1', { name: 'data', emptyDir: {} }),
      '/r/pods/u1/volumes/kubernetes.io~empty-dir/data');
    assert.equal(volumePath('/r', 'u1', { name: 'c', configMap: { name: 'x' } }),
      '/r/pods/u1/volumes/kubernetes.io~configmap/c');
    assert.equal(volumePath('/r', 'u1', { name: 'h', hostPath: { path: '/srv' } }), '/srv');
    const volumes = new Map([
      ['data', { path: '/v/data', kind: 'emptyDir' as const }],
      ['cfg', { path: '/v/cfg', kind: 'configMap' as const }],
    ]);
    const mounts = planMounts({ name: 'c', volumeMounts: [
      { name: 'data', mountPath: '/data' },
      { name: 'data', mountPath: '/logs', subPathExpr: 'logs/$(POD)', readOnly: true },
      { name: 'cfg', mountPath: '/etc/app' },
    ] }, volumes, new Map([['POD', 'p1']]), (v, sub) => `${v.path}/${sub}`);
    assert.deepEqual(mounts, [
      { containerPath: '/data', hostPath: '/v/data', readonly: false },
      { containerPath: '/logs', hostPath: '/v/data/logs/p1', readonly: true },
      { containerPath: '/etc/app', hostPath: '/v/cfg', readonly: true },
    ]);
    assert.throws(() => planMounts({ name: 'c', volumeMounts: [{ name: 'data', mountPath: '/x',
      subPath: '../etc' }] }, volumes, new Map(), () => ''), VolumeSetupError);
    assert.throws(() => planMounts({ name: 'c', volumeMounts: [{ name: 'nope',
      mountPath: '/x' }] }, volumes, new Map(), () => ''), /volume nope is not defined/);
  });

  it('sets a pod up, mounts a configMap file by subPath, and tears everything down', async () => {
    const vm = new VolumeManager({ rootDir: dir, useTmpfs: false, log: () => {} });
    const pod: Pod = { metadata: { name: 'p', namespace: 'n', uid: 'uid-1' }, spec: {
      volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }, { name: 'scratch', emptyDir: {} }],
      containers: [{ name: 'c', volumeMounts: [
        { name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' },
        { name: 'scratch', mountPath: '/tmp/work', subPath: 'work' }] }] } };
    const volumes = await vm.setUp(pod, { configMap: () => cm, secret: () => undefined },
      { pod, facts: { nodeName: 'w', hostIP: '127.0.0.1', podIPs: [] }, allocatable: {} });
    const mounts = vm.mounts(pod.spec!.containers[0]!, volumes, new Map());
    assert.equal(readFileSync(mounts[0]!.hostPath, 'utf8'), 'a=1');
    assert.ok(!lstatSync(mounts[0]!.hostPath).isSymbolicLink(), 'the real file is mounted');
    assert.ok(statSync(mounts[1]!.hostPath).isDirectory());
    assert.deepEqual(vm.podUids(), ['uid-1']);
    await vm.tearDown('uid-1');
    assert.equal(existsSync(join(dir, 'pods', 'uid-1')), false);
  });
  it('mounts a memory emptyDir as tmpfs when root, and unmounts it on teardown', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const vm = new VolumeManager({ rootDir: dir, useTmpfs: true, log: () => {} });
    const pod: Pod = { metadata: { name: 'p', namespace: 'n', uid: 'uid-mem' }, spec: {
      volumes: [{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }],
      containers: [{ name: 'c' }] } };
    try {
      const volumes = await vm.setUp(pod, { configMap: () => undefined,
        secret: () => undefined }, { pod, facts: { nodeName: 'w', hostIP: '', podIPs: [] },
        allocatable: {} });
      const path = volumes.get('shm')?.path ?? '';
      assert.deepEqual(mountsUnder(path), [path]);
      await vm.tearDown('uid-mem');
      assert.deepEqual(mountsUnder(path), []);
      assert.equal(existsSync(join(dir, 'pods', 'uid-mem')), false);
    } finally {
      await vm.tearDown('uid-mem');
    }
  });
});
