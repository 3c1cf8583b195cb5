/**
 * Label selectors: the query grammar, canonical strings, matching, metav1.LabelSelector objects,
 * and kube-apiserver's exact error messages.
 */
import { strict as assert } from 'node:assert';
import { StatusError } from '../../../src/api/errors.js';
import {
  formatLabelSelector, fromLabelSelector, parseLabelSelector,
} from '../../../src/api/selectors/labels.js';

function parseError(text: string): string {
  try {
    parseLabelSelector(text);
  } catch (err) {
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    return err.message;
  }
  throw new Error(`parsed: ${text}`);
}

describe('label selector: parse and canonical form', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['app=web', 'app=web'],
    ['app==web', 'app==web'],
    ['app!=web', 'app!=web'],
    [' tier in (b, a ,a), app ', 'app,tier in (a,b)'],
    ['x notin (),!canary', '!canary,x notin ()'],
    ['in in (in)', 'in in (in)'],
    ['a=', 'a='],
    ['a in (,b)', 'a in (,b)'],
    ['example.com/role=db', 'example.com/role=db'],
    ['n>3,m<10', 'm<10,n>3'],
  ];
  for (const [text, canonical] of cases) {
    it(`"${text}" → "${canonical}"`, () => {
      assert.equal(parseLabelSelector(text).toString(), canonical);
    });
  }
});

describe('label selector: matching', () => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db,web)', true],
    ['app notin (web)', false],
    ['missing notin (web)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['n>4,n<6', true],
    ['n>5', false],
    ['app>1', false],
    ['app=web,tier=back', false],
  ];
  for (const [text, want] of cases) {
    it(`"${text}" ${want ? 'matches' : 'does not match'}`, () => {
      assert.equal(parseLabelSelector(text).matches(labels), want);
    });
  }
  it('an object without labels matches only negative requirements', () => {
    assert.equal(parseLabelSelector('!a,b!=c,d notin (e)').matches(undefined), true);
    assert.equal(parseLabelSelector('a').matches(undefined), false);
  });
});

describe('label selector: upstream error messages', () => {
  const cases: [string, string][] = [
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b,', "found '', expected: identifier after ','"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a (b)', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ['!=a', "found '!=', expected: !, identifier, or 'end of string'"],
    ['!,a', "unable to parse requirement: found ',', expected: identifier"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['a>x', 'unable to parse requirement: values[0]: Invalid value: "x": ' +
      "for 'Gt', 'Lt' operators, the value must be an integer"],
    ['-a=b', 'unable to parse requirement: <nil>: Invalid value: "-a": name part must consist ' +
      "of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
      "alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for " +
      "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
  ];
  for (const [text, message] of cases) {
    it(`"${text}"`, () => assert.equal(parseError(text), message));
  }
  it('an invalid value names its key and index', () => {
    assert.match(parseError('a=-x-'),
      /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "-x-": a valid label must/);
  });
});

describe('label selector: metav1.LabelSelector objects', () => {
  it('matchLabels and matchExpressions combine, sorted by key', () => {
    const s = fromLabelSelector({
      matchLabels: { tier: 'front', app: 'web' },
      matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod', 'dev'] },
        { key: 'canary', operator: 'DoesNotExist' }],
    });
    assert.equal(s.toString(), 'app=web,!canary,env notin (dev,prod),tier=front');
    assert.equal(s.matches({ app: 'web', tier: 'front' }), true);
    assert.equal(s.matches({ app: 'web', tier: 'front', env: 'prod' }), false);
  });
  it('null selects nothing, {} everything', () => {
    assert.equal(fromLabelSelector(null).matches({}), false);
    assert.equal(fromLabelSelector(undefined).matches({ a: 'b' }), false);
    assert.equal(fromLabelSelector({}).matches({ a: 'b' }), true);
    assert.equal(fromLabelSelector({}).isEmpty(), true);
  });
  it('an unknown operator is a 400 with upstream text', () => {
    assert.throws(() => fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Gt' }] }),
      (e: unknown) => e instanceof StatusError &&
        e.message === '"Gt" is not a valid label selector operator');
  });
  it('In without values is rejected', () => {
    assert.throws(() => fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In' }] }),
      (e: unknown) => e instanceof StatusError && e.message === 'values: Invalid value: ' +
        "[]string{}: for 'in', 'notin' operators, values set can't be empty");
  });
  it('formatLabelSelector prints <none> and <error>', () => {
    assert.equal(formatLabelSelector({ matchLabels: { app: 'web' } }), 'app=web');
    assert.equal(formatLabelSelector({}), '<none>');
    assert.equal(formatLabelSelector(undefined), '<none>');
    const broken = { matchExpressions: [{ key: 'a', operator: 'X' }] };
    assert.equal(formatLabelSelector(broken), '<error>');
  });
});
