import { strict as assert } from 'node:assert';
import { isStatusError, type Status } from '../../../src/api/errors.js';
import type { JsonValue } from '../../../src/api/meta.js';
import { applyJsonPatch, parsePointer } from '../../../src/api/patch/json-patch.js';

function failsWith(f: () => unknown, code: number, message?: string): Status {
  let status: Status | undefined;
  assert.throws(f, (e: unknown) => {
    assert.ok(isStatusError(e));
    status = e.status;
    return true;
  });
  if (!status) throw new Error('unreachable');
  assert.equal(status.code, code);
  if (message !== undefined) assert.equal(status.message, message);
  return status;
}

const NOT_APPLIED = 'the server rejected our request due to an error in our request';

describe('JSON patch (RFC 6902)', () => {
  // Each row checks one sentence of RFC 6902 §4 on our own data.
  const rules: [string, JsonValue, JsonValue, JsonValue][] = [
    ['add sets an object member', { a: 1 }, [{ op: 'add', path: '/b', value: 2 }], { a: 1, b: 2 }],
    ['add replaces an existing member', { a: 1 }, [{ op: 'add', path: '/a', value: 2 }], { a: 2 }],
    ['add inserts into an array at the index', { l: ['x', 'z'] },
      [{ op: 'add', path: '/l/1', value: 'y' }], { l: ['x', 'y', 'z'] }],
    ['add with - appends', { l: [1] }, [{ op: 'add', path: '/l/-', value: 2 }], { l: [1, 2] }],
    ['add at the root replaces the document', { a: 1 }, [{ op: 'add', path: '', value: [1] }], [1]],
    ['remove drops a member', { a: 1, b: 2 }, [{ op: 'remove', path: '/a' }], { b: 2 }],
    ['remove shifts array elements left', { l: [1, 2, 3] }, [{ op: 'remove', path: '/l/0' }],
      { l: [2, 3] }],
    ['replace swaps a value', { a: { b: 1 } }, [{ op: 'replace', path: '/a/b', value: 'x' }],
      { a: { b: 'x' } }],
    ['move removes then adds', { a: { b: 1 }, c: {} }, [{ op: 'move', from: '/a/b', path: '/c/d' }],
      { a: {}, c: { d: 1 } }],
    ['move reorders an array', { l: [1, 2, 3] }, [{ op: 'move', from: '/l/0', path: '/l/2' }],
      { l: [2, 3, 1] }],
    ['copy duplicates a value', { a: { b: [1] } }, [{ op: 'copy', from: '/a/b', path: '/c' }],
      { a: { b: [1] }, c: [1] }],
    ['test passes on an equal value', { a: { x: 1, y: [2] } },
      [{ op: 'test', path: '/a', value: { y: [2], x: 1 } }], { a: { x: 1, y: [2] } }],
    ['~1 and ~0 escape / and ~', { 'a/b': 1, 'm~n': 2 },
      [{ op: 'replace', path: '/a~1b', value: 3 }, { op: 'remove', path: '/m~0n' }], { 'a/b': 3 }],
    ['an annotation key with a slash', { metadata: { annotations: {} } },
      [{ op: 'add', path: '/metadata/annotations/kubernetes.io~1change-cause', value: 'v2' }],
      { metadata: { annotations: { 'kubernetes.io/change-cause': 'v2' } } }],
    ['operations apply in order', {}, [{ op: 'add', path: '/a', value: {} },
      { op: 'add', path: '/a/b', value: 1 }], { a: { b: 1 } }],
  ];
  for (const [name, doc, patch, want] of rules) {
    it(name, () => assert.deepEqual(applyJsonPatch(doc, patch), want));
  }

  it('parses pointers with ~01 as ~1, not /', () => {
    assert.deepEqual(parsePointer('/a~01b/c'), ['a~1b', 'c']);
    assert.deepEqual(parsePointer(''), []);
    assert.deepEqual(parsePointer('/'), ['']);
  });

  it('runs the rollout undo body against a Deployment', () => {
    const deploy = {
      metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '2' } },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'v2' }] } } },
    };
    const tpl = {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'v1' }] },
    };
    const annotations = { 'deployment.kubernetes.io/revision': '2', note: 'undo' };
    const out = applyJsonPatch(deploy, [
      { op: 'replace', path: '/spec/template', value: tpl },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ]);
    assert.deepEqual(out,
      { metadata: { name: 'web', annotations }, spec: { replicas: 2, template: tpl } });
  });

  const failures: [string, JsonValue, JsonValue][] = [
    ['a failing test', { a: 1 }, [{ op: 'test', path: '/a', value: 2 }]],
    ['a test of a missing member', { a: 1 }, [{ op: 'test', path: '/b', value: null }]],
    ['remove of a missing member', { a: 1 }, [{ op: 'remove', path: '/b' }]],
    ['replace of a missing member', { a: 1 }, [{ op: 'replace', path: '/b', value: 1 }]],
    ['add under a missing parent', { a: 1 }, [{ op: 'add', path: '/x/y', value: 1 }]],
    ['add past the end of an array', { l: [] }, [{ op: 'add', path: '/l/2', value: 1 }]],
    ['a non-numeric array index', { l: [1] }, [{ op: 'replace', path: '/l/x', value: 1 }]],
    ['move into its own child', { a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]],
    ['an unknown op', { a: 1 }, [{ op: 'merge', path: '/a', value: 1 }]],
    ['a missing path', { a: 1 }, [{ op: 'add', value: 1 }]],
    ['a missing value', { a: 1 }, [{ op: 'add', path: '/b' }]],
    ['a pointer without a leading slash', { a: 1 }, [{ op: 'remove', path: 'a' }]],
  ];
  for (const [name, doc, patch] of failures) {
    it(`answers 422 with the generic message for ${name}`, () => {
      const st = failsWith(() => applyJsonPatch(doc, patch), 422, NOT_APPLIED);
      assert.equal(st.reason, 'Invalid');
      assert.deepEqual(st.details, {});
    });
  }

  it('is atomic: a failing operation leaves the input untouched', () => {
    const doc = { a: { b: 1 }, l: [1, 2] };
    const before = structuredClone(doc);
    failsWith(() => applyJsonPatch(doc, [
      { op: 'replace', path: '/a/b', value: 9 },
      { op: 'remove', path: '/l/0' },
      { op: 'test', path: '/a/b', value: 1 },
    ]), 422);
    assert.deepEqual(doc, before);
  });

  it('never shares the patch value with the result', () => {
    const value = { x: [1] };
    const out = applyJsonPatch({}, [{ op: 'add', path: '/v', value }]) as { v: { x: number[] } };
    out.v.x.push(2);
    assert.deepEqual(value, { x: [1] });
  });

  it('answers 400 when the body is not a list of operations', () => {
    failsWith(() => applyJsonPatch({}, { op: 'add' }), 400,
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    failsWith(() => applyJsonPatch({}, ['add']), 400,
      'json: cannot unmarshal string into Go value of type jsonpatch.Operation');
  });

  it('answers 413 beyond 10000 operations', () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '', value: {} }));
    failsWith(() => applyJsonPatch({}, ops), 413,
      'The allowed maximum operations in a JSON patch is 10000, got 10001');
  });

  it('accepts negative indices counted from the end, as kube-apiserver does', () => {
    const out = applyJsonPatch({ l: [1, 2, 3] }, [{ op: 'remove', path: '/l/-1' }]);
    assert.deepEqual(out, { l: [1, 2] });
  });
});
