/**
 * Static pods and the pod manager: manifests parse (YAML and JSON), become pods named
 * <name>-<node> with a content hash as uid and the config annotations; the mirror pod carries
 * the hash and is owned by the Node; a manifest directory skips bad files; the pod manager
 * turns source updates into UPSERT/REMOVE by uid and keeps mirror pods apart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import { readManifestDir } from '../../../src/kubelet/sources/manifest-dir.js';
import { PodManager } from '../../../src/kubelet/sources/pod-manager.js';
import {
  CONFIG_HASH_ANNOTATION, CONFIG_MIRROR_ANNOTATION, CONFIG_SOURCE_ANNOTATION, ManifestError,
  isMirrorPod, isStaticPod, mirrorMatches, mirrorPodFor, parseManifest, staticPodFrom,
} from '../../../src/kubelet/sources/static-pods.js';

const YAML = `apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
spec:
  containers:
  - name: etcd
    image: busybox
    command: [sleep, "3600"]
`;

describe('kubelet static pods', () => {
  it('turns a manifest into a static pod named after the node, hashed and annotated', () => {
    const pod = staticPodFrom(parseManifest(YAML, 'etcd.yaml'), 'M1', '/m/etcd.yaml');
    assert.equal(pod.metadata.name, 'etcd-m1');
    assert.equal(pod.metadata.namespace, 'kube-system');
    assert.match(pod.metadata.uid ?? '', /^[0-9a-f]{32}$/);
    assert.equal(pod.metadata.annotations?.[CONFIG_HASH_ANNOTATION], pod.metadata.uid);
    assert.equal(pod.metadata.annotations?.[CONFIG_SOURCE_ANNOTATION], 'file');
    assert.equal(pod.spec?.nodeName, 'M1');
    assert.equal(pod.spec?.restartPolicy, 'Always');
    assert.ok(pod.spec?.tolerations?.some((t) => t.operator === 'Exists' &&
      t.effect === 'NoExecute'));
    assert.ok(isStaticPod(pod));
  });

  it('hashes content, node and file: same input same uid, any change a new one', () => {
    const uid = (text: string, node = 'm1', file = '/m/a.yaml') =>
      staticPodFrom(parseManifest(text, file), node, file).metadata.uid;
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace:
      'kube-system', name: 'etcd' }, spec: { containers: [{ image: 'busybox', name: 'etcd',
      command: ['sleep', '3600'] }] } });
    assert.equal(uid(YAML), uid(json), 'key order and format do not matter');
    assert.notEqual(uid(YAML), uid(YAML.replace('3600', '3601')));
    assert.notEqual(uid(YAML), uid(YAML, 'm2'));
    assert.notEqual(uid(YAML), uid(YAML, 'm1', '/m/b.yaml'));
    assert.equal(staticPodFrom(parseManifest(YAML, 'x'), 'm1', 'x').metadata.namespace,
      'kube-system');
  });

  it('refuses what is not one pod', () => {
    for (const bad of ['kind: Deployment\nmetadata: {name: x}\nspec: {containers: [{}]}',
      'metadata: {}\nspec: {containers: [{name: c}]}', 'metadata: {name: x}\nspec: {}',
      '[1, 2]', '{{{']) {
      assert.throws(() => parseManifest(bad, 'f'), ManifestError, bad);
    }
  });

  it('makes a mirror pod owned by the node, carrying the hash, without uid', () => {
    const s = staticPodFrom(parseManifest(YAML, 'f'), 'm1', 'f');
    const m = mirrorPodFor(s, { name: 'm1', uid: 'node-uid' });
    assert.equal(m.metadata.uid, undefined);
    assert.equal(m.metadata.annotations?.[CONFIG_MIRROR_ANNOTATION], s.metadata.uid);
    assert.deepEqual(m.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'm1',
      uid: 'node-uid', controller: true }]);
    assert.ok(isMirrorPod(m));
    assert.ok(mirrorMatches({ ...m, metadata: { ...m.metadata, uid: 'api' } }, s));
    const edited = staticPodFrom(parseManifest(YAML.replace('3600', '1'), 'f'), 'm1', 'f');
    assert.equal(mirrorMatches(m, edited), false);
  });

  it('reads a manifest directory, skipping bad, hidden and duplicate files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-manifests-'));
    try {
      writeFileSync(join(dir, 'a.yaml'), YAML);
      writeFileSync(join(dir, 'b.json'), '{"metadata":{"name":"b"},"spec":{"containers":' +
        '[{"name":"c","image":"busybox"}]}}');
      writeFileSync(join(dir, 'c.yaml'), YAML);
      writeFileSync(join(dir, 'd.yaml'), 'kind: Service');
      writeFileSync(join(dir, '.hidden.yaml'), YAML.replace('etcd', 'hidden'));
      writeFileSync(join(dir, 'notes.txt'), 'x');
      const logs: string[] = [];
      const pods = readManifestDir(dir, 'm1', (l) => logs.push(l));
      assert.deepEqual(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
        ['kube-system/etcd-m1', 'default/b-m1']);
      assert.equal(logs.length, 2, logs.join('\n'));
      assert.deepEqual(readManifestDir(join(dir, 'missing'), 'm1', () => {}), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('merges API and static pods by uid; mirrors stay apart', () => {
    const pm = new PodManager();
    const api = (uid: string, rv: string): Pod => ({ metadata: { uid, name: uid,
      namespace: 'd', resourceVersion: rv }, spec: { containers: [] } });
    assert.deepEqual(pm.setApiPod(api('a', '1')).map((c) => c.type), ['UPSERT']);
    assert.deepEqual(pm.setApiPod(api('a', '1')), [], 'same version: no change');
    assert.deepEqual(pm.setApiPod(api('a', '2')).map((c) => c.type), ['UPSERT']);
    const s1 = staticPodFrom(parseManifest(YAML, 'f'), 'm1', 'f');
    const s2 = staticPodFrom(parseManifest(YAML.replace('3600', '1'), 'f'), 'm1', 'f');
    assert.deepEqual(pm.setStaticPods([s1]).map((c) => c.type), ['UPSERT']);
    assert.deepEqual(pm.setStaticPods([s1]), []);
    assert.deepEqual(pm.setStaticPods([s2]).map((c) => `${c.type} ${c.pod.metadata.uid}`),
      [`REMOVE ${s1.metadata.uid}`, `UPSERT ${s2.metadata.uid}`]);
    const mirror = { ...mirrorPodFor(s2, { name: 'm1', uid: 'n' }) };
    mirror.metadata.uid = 'mirror-uid';
    assert.deepEqual(pm.setApiPod(mirror), []);
    assert.equal(pm.mirrorOf(s2)?.metadata.uid, 'mirror-uid');
    assert.deepEqual(pm.all().map((p) => p.metadata.uid).sort(), ['a', s2.metadata.uid].sort());
    assert.deepEqual(pm.deleteApiPod(api('a', '3')).map((c) => c.type), ['REMOVE']);
    assert.deepEqual(pm.deleteApiPod(mirror), []);
    assert.equal(pm.mirrorOf(s2), undefined);
  });
});
