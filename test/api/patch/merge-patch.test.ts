import { strict as assert } from 'node:assert';
import { isStatusError } from '../../../src/api/errors.js';
import type { JsonObject, JsonValue } from '../../../src/api/meta.js';
import { applyMergePatch, mergePatch } from '../../../src/api/patch/merge-patch.js';

describe('JSON merge patch (RFC 7386)', () => {
  // Each row checks one rule of RFC 7386 §2 on our own data.
  const rules: [string, JsonValue, JsonValue, JsonValue][] = [
    ['a scalar member is replaced', { a: 'b' }, { a: 'c' }, { a: 'c' }],
    ['a new member is added', { a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    ['null removes a member', { a: 'b' }, { a: null }, {}],
    ['null on an absent member is a no-op', { a: 'b' }, { x: null }, { a: 'b' }],
    ['arrays are replaced, not merged', { a: [1, 2] }, { a: [3] }, { a: [3] }],
    ['objects merge recursively', { a: { b: 1, c: 2 } }, { a: { c: 3 } }, { a: { b: 1, c: 3 } }],
    ['a non-object target becomes an object', { a: 'x' }, { a: { b: 'c' } }, { a: { b: 'c' } }],
    ['an object target may become a scalar', { a: { b: 1 } }, { a: 7 }, { a: 7 }],
    ['nulls inside new objects vanish', {}, { a: { b: null, c: 1 } }, { a: { c: 1 } }],
    ['a non-object patch replaces the whole target', { a: 1 }, ['x'], ['x']],
    ['an empty patch changes nothing', { a: { b: 1 } }, {}, { a: { b: 1 } }],
  ];
  for (const [name, target, patch, want] of rules) {
    it(name, () => assert.deepEqual(mergePatch(target, patch), want));
  }

  it('labels a pod the way kubectl label does, and removes with null', () => {
    const pod: JsonObject = { metadata: { name: 'busy', labels: { app: 'web' } } };
    const added = applyMergePatch(pod, { metadata: { labels: { env: 'prod' } } });
    assert.deepEqual(added.metadata, { name: 'busy', labels: { app: 'web', env: 'prod' } });
    const removed = applyMergePatch(added, { metadata: { labels: { env: null } } });
    assert.deepEqual(removed.metadata, { name: 'busy', labels: { app: 'web' } });
  });

  it('never mutates its inputs nor shares untouched members with the result', () => {
    const target: JsonObject = { spec: { replicas: 1, template: { a: 1 } }, other: { x: 1 } };
    const patch: JsonObject = { spec: { replicas: 3 } };
    const before = structuredClone(target);
    const out = applyMergePatch(target, patch);
    assert.deepEqual(target, before);
    assert.deepEqual(patch, { spec: { replicas: 3 } });
    assert.notEqual(out.other, target.other);
    assert.notEqual((out.spec as JsonObject).template, (target.spec as JsonObject).template);
  });

  it('answers 400 Invalid JSON Patch when the body is not an object', () => {
    assert.throws(() => applyMergePatch({ a: 1 }, [1]), (e: unknown) => {
      assert.ok(isStatusError(e));
      assert.equal(e.code, 400);
      assert.equal(e.status.message, 'Invalid JSON Patch');
      return true;
    });
  });
});
