/** Field selectors: terms, escaping, matching, supported fields and upstream's messages. */
import { strict as assert } from 'node:assert';
import { StatusError } from '../../../src/api/errors.js';
import {
  escapeValue, parseFieldSelector, unsupportedFieldError,
} from '../../../src/api/selectors/fields.js';

function parseError(text: string): string {
  try {
    parseFieldSelector(text);
  } catch (err) {
    assert.ok(err instanceof StatusError && err.code === 400);
    return err.message;
  }
  throw new Error(`parsed: ${text}`);
}

describe('field selector', () => {
  const pod = { 'metadata.name': 'web', 'spec.nodeName': 'n1', 'status.phase': 'Running' };
  const cases: [string, boolean][] = [
    ['', true],
    ['metadata.name=web', true],
    ['metadata.name==web', true],
    ['metadata.name!=web', false],
    ['spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed', true],
    ['spec.nodeName=n2', false],
    ['involvedObject.uid=', true],
    ['status.phase=Running,metadata.name=other', false],
  ];
  for (const [text, want] of cases) {
    it(`"${text}" ${want ? 'matches' : 'does not match'}`, () => {
      assert.equal(parseFieldSelector(text).matches(pod), want);
    });
  }

  it('escaped commas and equals stay in the value', () => {
    const s = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d,spec.nodeName=n1');
    assert.deepEqual(s.requirements.map((r) => r.value), ['a,b=c\\d', 'n1']);
    assert.equal(s.toString(), 'metadata.name=a\\,b\\=c\\\\d,spec.nodeName=n1');
    assert.equal(escapeValue('a,b=c\\d'), 'a\\,b\\=c\\\\d');
  });

  it('requiredFields and exactMatch', () => {
    const s = parseFieldSelector('spec.nodeName=n1,status.phase!=Failed,status.phase!=Succeeded');
    assert.deepEqual(s.requiredFields(), ['spec.nodeName', 'status.phase']);
    assert.equal(s.exactMatch('spec.nodeName'), 'n1');
    assert.equal(s.exactMatch('status.phase'), undefined);
  });

  it('unsupported fields get upstream\'s message', () => {
    const s = parseFieldSelector('metadata.name=a,foo=bar');
    assert.equal(unsupportedFieldError(s, ['metadata.name'])?.message,
      'field label not supported: foo');
    assert.equal(unsupportedFieldError(s, ['metadata.name', 'foo']), undefined);
  });

  const errors: [string, string][] = [
    ['name', "invalid selector: 'name'; can't understand 'name'"],
    ['a=b,c', "invalid selector: 'a=b,c'; can't understand 'c'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
  ];
  for (const [text, message] of errors) {
    it(`error for "${text}"`, () => assert.equal(parseError(text), message));
  }
});
