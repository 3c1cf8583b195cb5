/**
 * Reference normalisation: the spellings kubelet users write map to the names containerd
 * stores, and malformed names fail with containerd's text.
 */
import assert from 'node:assert/strict';
import {
  ImageRefError,
  normalizeImageRef,
  parseImageRef,
} from '../../../src/runtime/images/reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('images: reference normalisation', function () {
  it('normalises familiar names the way the kubelet and containerd do', () => {
    const cases: Array<[string, string]> = [
      ['busybox', 'docker.io/library/busybox:latest'],
      ['nginx:1.25', 'docker.io/library/nginx:1.25'],
      ['library/nginx', 'docker.io/library/nginx:latest'],
      ['me/app:v1', 'docker.io/me/app:v1'],
      ['docker.io/busybox', 'docker.io/library/busybox:latest'],
      ['index.docker.io/library/busybox:1.36', 'docker.io/library/busybox:1.36'],
      ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
      ['localhost/pause', 'localhost/pause:latest'],
      ['127.0.0.1:5000/a/b:c', '127.0.0.1:5000/a/b:c'],
      [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`],
      [`nginx:1.25@${DIGEST}`, `docker.io/library/nginx:1.25@${DIGEST}`],
    ];
    for (const [input, want] of cases) assert.equal(normalizeImageRef(input), want, input);
  });

  it('splits the parts a repo digest is made from', () => {
    const r = parseImageRef('nginx:1.25');
    assert.deepEqual(
      { domain: r.domain, path: r.path, tag: r.tag, repository: r.repository },
      {
        domain: 'docker.io',
        path: 'library/nginx',
        tag: '1.25',
        repository: 'docker.io/library/nginx',
      },
    );
  });

  it('rejects malformed references with containerd text', () => {
    for (const bad of [
      '',
      'UPPER/case',
      'a b',
      'nginx:',
      'nginx@sha256:12',
      ':tag',
      'a//b',
      ' busybox',
    ]) {
      assert.throws(
        () => normalizeImageRef(bad),
        (e: unknown) =>
          e instanceof ImageRefError && /failed to parse image reference/.test(e.message),
        JSON.stringify(bad),
      );
    }
  });
});
