/**
 * The watch cache's decode (decodeCachedObject: managedFields parsed when first read) against
 * decodeObject: the same data by every way the API server reads an object — JSON.stringify (key
 * order at every level), deep equality, spreads, cloneJson, structuredClone — for random objects
 * with managedFields anywhere in metadata, alone, absent, duplicated, escaped, with a stale
 * resourceVersion, a second top-level metadata, and tricky strings; and the stored JSON with the
 * revision spliced in is the same whether jsonWithRevision scans or uses the walk's metadata end.
 */
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/meta.js';
import { cloneJson } from '../../../src/api/patch/json.js';
import { Prng } from '../../../src/base/prng.js';
import { decodeCachedObject, decodeObject } from '../../../src/apiserver/storage/codec.js';
import {
  jsonWithRevision,
  jsonWithRevisionWithoutManagedFields,
  managedFieldsSpan,
} from '../../../src/apiserver/storage/stored-json.js';
import {
  rememberStored,
  sharedJsonBytesWithoutManagedFields,
  withoutManagedFields,
} from '../../../src/apiserver/storage/shared-views.js';

const TRICKY = ['__proto__', 'q"uo\\te', '{not} [an] ,"metadata":{', 'ü\u2028\n', '"managedFields":[', ''];

function word(prng: Prng): string {
  return prng.range(0, 4) === 0 ? TRICKY[prng.range(0, TRICKY.length - 1)]! : `w${prng.range(0, 99)}`;
}

function value(prng: Prng, depth: number): unknown {
  switch (prng.range(0, depth > 2 ? 3 : 5)) {
    case 0: return word(prng);
    case 1: return prng.range(0, 1000) - 500;
    case 2: return prng.range(0, 2) === 0 ? null : prng.range(0, 1) === 1;
    case 3: return 1.5;
    case 4: return Array.from({ length: prng.range(0, 3) }, () => value(prng, depth + 1));
    default: return Object.fromEntries(Array.from({ length: prng.range(0, 3) }, () => [word(prng), value(prng, depth + 1)]));
  }
}

function managedFields(prng: Prng): unknown {
  return Array.from({ length: prng.range(0, 3) }, (_, i) => ({
    manager: word(prng), operation: 'Update', apiVersion: 'v1', time: '2026-11-25T03:00:00Z',
    fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { [`f:${word(prng)}`]: {}, '.': {} }, i },
  }));
}

/** storedText: a stored value's JSON with managedFields put at random in metadata, sometimes twice,
 *  escaped, or with a second top-level metadata after the first. */
function storedText(prng: Prng): string {
  const members: string[] = [];
  for (let i = prng.range(0, 4); i > 0; i--) members.push(`${JSON.stringify(word(prng))}:${JSON.stringify(value(prng, 1))}`);
  if (prng.range(0, 9) === 0) members.push(`"resourceVersion":"3"`);
  const mf = `"managedFields":${JSON.stringify(managedFields(prng))}`;
  const at = prng.range(0, 3) === 0 ? prng.range(0, members.length) : members.length;
  members.splice(at, 0, mf);
  if (prng.range(0, 12) === 0) members.splice(prng.range(0, members.length), 0, `"managedFields":${JSON.stringify(managedFields(prng))}`);
  if (prng.range(0, 12) === 0) members.splice(prng.range(0, members.length), 0, `"managed\\u0046ields":[1]`);
  if (prng.range(0, 15) === 0) members.length = 0;
  const top = [`"kind":"Pod"`, `"metadata":{${members.join(',')}}`, `"spec":${JSON.stringify(value(prng, 1))}`];
  if (prng.range(0, 1) === 0) top.unshift(`"apiVersion":"v1"`);
  if (prng.range(0, 12) === 0) top.push(`"metadata":{"name":"second"}`);
  if (prng.range(0, 12) === 0) top.push(`"status":{"metadata":{"x":1}}`);
  return `{${top.join(',')}}`;
}

describe('the watch cache decode with managedFields read lazily', () => {
  it('is decodeObject by every way objects are read, for random stored values', () => {
    const prng = new Prng(5);
    let lazy = 0;
    for (let i = 0; i < 3000; i++) {
      const stored = Buffer.from(storedText(prng), 'utf8');
      const rev = prng.range(1, 1_000_000);
      if (managedFieldsSpan(stored) !== undefined) lazy++;
      const want = decodeObject(stored, rev);
      const views: [string, (o: KubeObject) => unknown][] = [
        ['stringify', (o) => JSON.stringify(o)],
        ['spread', (o) => JSON.stringify({ ...o, metadata: { ...o.metadata } })],
        ['keys', (o) => Object.keys(o.metadata)],
        ['cloneJson', (o) => JSON.stringify(cloneJson(o))],
        ['structuredClone', (o) => JSON.stringify(structuredClone(o))],
        ['deepEqual', (o) => { assert.deepStrictEqual(o, want); return true; }],
        ['read', (o) => JSON.stringify(o.metadata.managedFields)],
        ['write', (o) => { o.metadata.managedFields = []; return JSON.stringify(o); }],
      ];
      for (const [name, view] of views) {
        const got = decodeCachedObject(stored, rev);
        assert.deepStrictEqual(view(got), view(decodeObject(stored, rev)), `case ${i} ${name}: ${stored.toString()}`);
        // Read once, it stays what it was and the same array.
        assert.equal(got.metadata.managedFields, got.metadata.managedFields);
        assert.equal(JSON.stringify(got), JSON.stringify(name === 'write' ? { ...want, metadata: { ...want.metadata, managedFields: [] } } : want));
      }
      const walked = Buffer.from(stored);
      managedFieldsSpan(walked);
      // The walk's remembered metadata end gives what jsonWithRevision's own scan gives.
      assert.deepEqual(jsonWithRevision(walked, String(rev)), jsonWithRevision(stored, String(rev)), `case ${i}`);
    }
    assert.ok(lazy > 1500, `only ${lazy} of 3000 values decoded lazily`);
  });

  it('cuts managedFields out of the stored JSON exactly as JSON.stringify leaves them out', () => {
    const prng = new Prng(6);
    let cut = 0;
    let exact = 0;
    for (let i = 0; i < 3000; i++) {
      const text = storedText(prng);
      const stored = Buffer.from(text, 'utf8');
      const rev = prng.range(1, 1_000_000);
      const decoded = decodeObject(stored, rev);
      const want = JSON.stringify(withoutManagedFields(decoded));
      const spliced = jsonWithRevisionWithoutManagedFields(stored, String(rev));
      // Byte for byte for what encodeObject writes; the same data for a value with repeated
      // keys or a stale resourceVersion (the spliced one comes last, as jsonWithRevision's).
      const canonical = JSON.stringify(JSON.parse(text)) === text && !text.includes('"resourceVersion":"3"');
      if (canonical && spliced !== undefined) exact++;
      const same = (got: Buffer, how: string): void => {
        if (canonical) assert.equal(got.toString('utf8'), want, how);
        else assert.deepEqual(JSON.parse(got.toString('utf8')), JSON.parse(want), how);
      };
      if (spliced !== undefined) {
        cut++;
        same(spliced, `case ${i} spliced: ${text}`);
      }
      // A cached object that remembers its stored value: the same bytes, its managedFields unread.
      const cached = decodeCachedObject(stored, rev);
      rememberStored(cached, stored);
      const unread = (): boolean => typeof Object.getOwnPropertyDescriptor(cached.metadata, 'managedFields')?.get === 'function';
      const lazy = unread();
      // (A second top-level metadata is left out: jsonWithRevision, which the shared bytes of
      // an object without managedFields come from, splices into the first one.)
      const second = text.includes(',"metadata":{"name":"second"}');
      if (!second) same(sharedJsonBytesWithoutManagedFields(cached), `case ${i} shared: ${text}`);
      assert.equal(unread(), lazy, `case ${i}: managedFields read`);
      // The object is not changed, and a view without managedFields is one without the key.
      assert.equal(JSON.stringify(cached), JSON.stringify(decoded));
      assert.ok(!Object.hasOwn(withoutManagedFields(decoded) as KubeObject, 'managedFields'));
    }
    assert.ok(cut > 1500 && exact > 1000, `only ${cut} of 3000 values spliced, ${exact} compared byte for byte`);
  });

  it('parses managedFields only when they are read', () => {
    const obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', managedFields: [{ manager: 'm' }] }, spec: {} };
    const stored = Buffer.from(JSON.stringify(obj));
    const got = decodeCachedObject(stored, 7);
    assert.equal(typeof Object.getOwnPropertyDescriptor(got.metadata, 'managedFields')?.get, 'function');
    assert.deepEqual(got.metadata.managedFields, [{ manager: 'm' }]);
    assert.equal(Object.getOwnPropertyDescriptor(got.metadata, 'managedFields')?.get, undefined);
    assert.deepEqual(Object.keys(got.metadata), ['name', 'managedFields', 'resourceVersion']);
  });
});
