import { strict as assert } from 'node:assert';
import {
  isConfigMapKey,
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isEnvVarName,
  isLabelValue,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
} from '../../../src/api/validation/names.js';
import { canonicalQuantity, compareQuantities, parseQuantity, QUANTITY_FORMAT_ERROR } from '../../../src/api/validation/quantity.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../../src/api/validation/object-meta.js';
import { nameIsDnsSubdomain } from '../../../src/api/validation/names.js';
import { lines } from './helpers.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end " +
  "with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an " +
  "alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('name and key formats (apimachinery util/validation wording)', () => {
  it('DNS-1123 subdomain: Foo_bar fails with the regex message; 254 characters fail on length', () => {
    assert.deepEqual(isDns1123Subdomain('Foo_bar'), [SUBDOMAIN_MSG]);
    assert.deepEqual(isDns1123Subdomain('a.b-c'), []);
    assert.deepEqual(isDns1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
  });

  it('DNS-1123 label: dots are named plainly, other faults get the regex; 64 characters fail', () => {
    assert.deepEqual(isDns1123Label('a.b'), ['must not contain dots']);
    assert.deepEqual(isDns1123Label('-a'), [LABEL_MSG]);
    assert.deepEqual(isDns1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  });

  it('DNS-1035 label: must start with a letter', () => {
    const [msg] = isDns1035Label('1abc');
    assert.match(msg ?? '', /^a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic/);
    assert.match(msg ?? '', /\(e\.g\. 'my-name', or 'abc-123', regex used for validation is '\[a-z\]\(\[-a-z0-9\]\*\[a-z0-9\]\)\?'\)$/);
    assert.deepEqual(isDns1035Label('web'), []);
  });

  it('qualified names: prefix and name parts are checked separately', () => {
    assert.deepEqual(isQualifiedName('example.com/app'), []);
    assert.deepEqual(isQualifiedName('/app'), ['prefix part must be non-empty']);
    assert.match(isQualifiedName('a/b/c')[0] ?? '', /^a qualified name must consist of alphanumeric characters/);
    assert.deepEqual(isQualifiedName(`${'a'.repeat(64)}`), ['name part must be no more than 63 characters']);
    assert.match(isQualifiedName('-x')[0] ?? '', /^name part must consist of alphanumeric characters, '-', '_' or '.'/);
  });

  it('label values, env names, config keys, port names and numbers', () => {
    assert.deepEqual(isLabelValue(''), []);
    assert.match(isLabelValue('a b')[0] ?? '', /^a valid label must be an empty string or consist of/);
    assert.deepEqual(isEnvVarName('MY_ENV.NAME'), []);
    assert.match(isEnvVarName('1X')[0] ?? '', /^a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '\.'/);
    assert.deepEqual(isConfigMapKey('..x'), ["must not start with '..'"]);
    assert.deepEqual(isValidPortName('http--x'), ['must not contain consecutive hyphens']);
    assert.deepEqual(isValidPortName('8080'), ['must contain at least one letter (a-z)']);
    assert.deepEqual(isValidPortNum(0), ['must be between 1 and 65535, inclusive']);
    assert.deepEqual(isValidPortNum(65535), []);
  });
});

describe('resource quantities', () => {
  const table: [unknown, string][] = [
    ['100m', '100m'],
    ['1000m', '1'],
    ['0.5', '500m'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['1e3', '1e3'],
    ['1k', '1k'],
    [2, '2'],
    ['512', '512'],
    ['0.1m', '100u'],
  ];
  for (const [raw, want] of table) {
    it(`${JSON.stringify(raw)} is canonically ${want}`, () => assert.equal(canonicalQuantity(raw), want));
  }

  it('compares exactly across suffix families', () => {
    const q = (s: string) => {
      const v = parseQuantity(s);
      if (typeof v === 'string') throw new Error(v);
      return v;
    };
    assert.equal(compareQuantities(q('1Gi'), q('1073741824')), 0);
    assert.equal(compareQuantities(q('1G'), q('1Gi')), -1);
    assert.equal(compareQuantities(q('1500m'), q('1.5')), 0);
    assert.equal(compareQuantities(q('2'), q('1')), 1);
  });

  it('rejects what is not a quantity with upstream words', () => {
    assert.equal(parseQuantity('abc'), QUANTITY_FORMAT_ERROR);
    assert.equal(parseQuantity('1Gb'), QUANTITY_FORMAT_ERROR);
    assert.equal(parseQuantity('1Mk'), "unable to parse quantity's suffix");
    assert.equal(parseQuantity('1.2.3'), 'unable to parse numeric part of quantity');
  });
});

describe('ObjectMeta', () => {
  const rules = { namespaced: true, nameFn: nameIsDnsSubdomain };

  it('name or generateName is required; namespace required for namespaced kinds', () => {
    assert.deepEqual(lines(validateObjectMeta({}, rules)), [
      'metadata.name: Required value: name or generateName is required',
      'metadata.namespace: Required value',
    ]);
  });

  it('cluster-scoped kinds refuse a namespace', () => {
    const errs = lines(validateObjectMeta({ name: 'n', namespace: 'x' }, { namespaced: false, nameFn: nameIsDnsSubdomain }));
    assert.deepEqual(errs, ['metadata.namespace: Forbidden: not allowed on this type']);
  });

  it('labels, annotations (256 KiB total), owner references and finalizers', () => {
    const errs = lines(validateObjectMeta({
      name: 'n',
      namespace: 'default',
      labels: { 'a b': 'x' },
      annotations: { big: 'x'.repeat(256 * 1024) },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
      ],
      finalizers: ['orphan', 'foregroundDeletion'],
    }, rules));
    assert.match(errs[0] ?? '', /^metadata\.labels: Invalid value: "a b": name part must consist of/);
    assert.equal(errs[1], 'metadata.annotations: Too long: must have at most 262144 bytes');
    assert.match(errs[2] ?? '', /^metadata\.ownerReferences: Invalid value: .*Only one reference can have Controller set to true\. Found "true" in references for ReplicaSet\/a and ReplicaSet\/b$/);
    assert.match(errs[3] ?? '', /metadata\.finalizers: Invalid value: .*: finalizer orphan and foregroundDeletion cannot be both set$/);
  });

  it('update: name and uid are immutable, resourceVersion required, no new finalizers while deleting', () => {
    const old = { name: 'a', uid: 'u', resourceVersion: '5', deletionTimestamp: '2026-01-01T00:00:00Z' };
    const errs = lines(validateObjectMetaUpdate({ name: 'b', uid: 'u', finalizers: ['x/y'] }, old));
    assert.deepEqual(errs, [
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"x/y"}',
      'metadata.resourceVersion: Invalid value: "": must be specified for an update',
      'metadata.name: Invalid value: "b": field is immutable',
    ]);
  });

  it('update: labels, annotations, owners and finalizers are checked when the update brings them', () => {
    const labels = { 'bad key!': 'v' };
    const old = { name: 'a', uid: 'u', resourceVersion: '5', labels };
    // The stored value itself, carried over (a status write): checked when it was written.
    assert.deepEqual(lines(validateObjectMetaUpdate({ ...old }, old)), []);
    // An equal value the update brings is checked as any new value.
    const errs = lines(validateObjectMetaUpdate({ ...old, labels: { ...labels } }, old));
    assert.equal(errs.length, 1);
    assert.match(errs[0] ?? '', /^metadata\.labels: Invalid value: "bad key!"/);
  });
});
