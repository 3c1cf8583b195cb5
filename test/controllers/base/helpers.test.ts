/**
 * The helpers every workload controller shares (src/controllers/base): the pod-template hash
 * (Deployment's ReplicaSet names, DaemonSet's revision label), IntOrString scaling and
 * slow-start batches.
 */
import assert from 'node:assert/strict';
import { scaledIntOrPercent } from '../../../src/controllers/base/int-or-percent.js';
import { slowStartBatch } from '../../../src/controllers/base/slow-start.js';
import {
  canonicalJson,
  fnv32a,
  safeEncode,
  templateHash,
} from '../../../src/controllers/base/template-hash.js';

describe('controller helpers', () => {
  it('templateHash is FNV-1a 32 over canonical JSON, encoded in the safe alphabet', () => {
    assert.equal(fnv32a(new Uint8Array()), 0x811c9dc5);
    assert.equal(fnv32a(new TextEncoder().encode('a')), 0xe40c292c);
    assert.equal(safeEncode('0123456789'), '456789bcdf');
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
    const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c',
      image: 'nginx' }] } };
    // Pinned: existing ReplicaSets are found again by this name suffix after an upgrade.
    assert.equal(templateHash(t), '5776f98846');
    assert.equal(templateHash(t, 2), '79d865976d');
    assert.equal(templateHash({ spec: t.spec, metadata: t.metadata }), templateHash(t),
      'key order does not matter');
    assert.equal(templateHash(t), templateHash(structuredClone(t)));
    assert.notEqual(templateHash({ ...t, spec: { containers: [{ name: 'd' }] } }), templateHash(t));
    assert.notEqual(templateHash(t, 0), templateHash(t));
    assert.notEqual(templateHash(t, 1), templateHash(t, 0));
    assert.match(templateHash(t), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  it('scaledIntOrPercent rounds percentages as asked', () => {
    assert.equal(scaledIntOrPercent('25%', 10, true), 3);
    assert.equal(scaledIntOrPercent('25%', 10, false), 2);
    assert.equal(scaledIntOrPercent(4, 10, true), 4);
    assert.equal(scaledIntOrPercent(undefined, 10, true, 1), 1);
  });

  it('slowStartBatch doubles batches and stops after a failing one', async () => {
    const calls: number[] = [];
    const ok = await slowStartBatch(10, async (i) => { calls.push(i); });
    assert.deepEqual(ok, { successes: 10, skipped: 0 });
    assert.equal(calls.length, 10);
    const seen: number[] = [];
    const failing = await slowStartBatch(10, async (i) => {
      seen.push(i);
      if (i === 2) throw new Error('quota');
    });
    // Batches 1, 2 (the failure at index 2), then nothing more.
    assert.deepEqual(seen.sort((x, y) => x - y), [0, 1, 2]);
    assert.equal(failing.successes, 2);
    assert.equal(failing.skipped, 7);
    assert.equal((failing.error as Error).message, 'quota');
  });
});
