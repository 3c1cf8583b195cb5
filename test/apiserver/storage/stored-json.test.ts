import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import { decodeObject, encodeObject } from '../../../src/apiserver/storage/codec.js';
import {
  rememberStored,
  shareStored,
  sharedJsonBytes,
} from '../../../src/apiserver/storage/shared-views.js';
import { jsonWithRevision } from '../../../src/apiserver/storage/stored-json.js';

const TRICKY = 'q"uo\\te {not} [an] ,"metadata":{ü\u2028\n';

const OBJECTS: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } },
  { apiVersion: 'v1', kind: 'Pod', metadata: {} },
  { kind: 'X', metadata: { name: TRICKY, labels: { [TRICKY]: TRICKY } } },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    spec: { containers: [{ name: 'c', args: ['{', '}', '"', '\\'] }], n: 1.5, b: true, z: null },
    status: { conditions: [{ type: 'Ready', status: 'True' }], nested: [[1, [2, {}]], []] },
    metadata: {
      name: 'late',
      managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:x': {} } } }],
      annotations: { '"metadata":{': '}' },
    },
    after: { metadata: { fake: 1 } },
  },
  { apiVersion: 'v1', data: { metadata: '{}' }, kind: 'ConfigMap', metadata: { name: 'c' } },
];

describe('stored JSON with the resourceVersion spliced in', () => {
  it('is byte for byte JSON.stringify of the decoded object', () => {
    for (const obj of OBJECTS) {
      const stored = encodeObject({ ...obj, metadata: { ...obj.metadata, resourceVersion: '9' } });
      const want = Buffer.from(JSON.stringify(decodeObject(stored, 1234)), 'utf8');
      assert.deepEqual(jsonWithRevision(stored, '1234'), want, JSON.stringify(obj));
    }
  });

  it('gives up on anything but compact JSON with a metadata object', () => {
    const cases = [
      '{ "metadata":{}}', '{"metadata" :{}}', '{"metadata": {}}', '{"kind":"X"}', '{}',
      '{"metadata":"x"}', '{"metadata":null}', '[{"metadata":{}}]', '{"kind":"X" ,"metadata":{}}',
      '{"kind":"X","metadata":{', '{"kind":"unterminated', '',
    ];
    for (const c of cases) assert.equal(jsonWithRevision(Buffer.from(c), '5'), undefined, c);
  });

  it('writes the revision last, so it wins over a stale one left in the stored value', () => {
    const stale = Buffer.from('{"metadata":{"resourceVersion":"1","name":"a"},"spec":{}}');
    const out = JSON.parse(jsonWithRevision(stale, '77')!.toString('utf8')) as KubeObject;
    assert.equal(out.metadata.resourceVersion, '77');
    assert.equal(out.metadata.name, 'a');
  });

  it('shared JSON bytes of a remembered object, and of a view sharing it, come from the value', () => {
    const stored = encodeObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } });
    const obj = decodeObject(stored, 42);
    rememberStored(obj, stored);
    const view = { kind: obj.kind, apiVersion: obj.apiVersion, ...obj };
    shareStored(view, obj);
    for (const o of [obj, view]) {
      assert.deepEqual(JSON.parse(sharedJsonBytes(o).toString('utf8')), JSON.parse(JSON.stringify(o)));
    }
    assert.deepEqual(sharedJsonBytes(obj), Buffer.from(JSON.stringify(obj), 'utf8'));
    // Not remembered: encoded as before.
    const plain = { ...obj, metadata: { ...obj.metadata, resourceVersion: '43' } };
    assert.deepEqual(sharedJsonBytes(plain), Buffer.from(JSON.stringify(plain), 'utf8'));
  });
});
