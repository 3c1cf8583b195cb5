import { strict as assert } from 'node:assert';
import {
  cutMembersOf,
  difference,
  equalSets,
  fromFieldsV1,
  fromPaths,
  hasMember,
  intersection,
  isCanonicalFieldsV1,
  isEmpty,
  isSubset,
  keyElement,
  members,
  membersWithin,
  newFieldSet,
  oneKeyElement,
  overlaps,
  sharesMember,
  subtree,
  subtreeOwned,
  takeAll,
  toFieldsV1,
  union,
  withMembersOf,
  withoutMembersJson,
  withoutPrefixes,
  type FieldNode,
  type FieldPath,
} from '../../../src/api/apply/field-set.js';

// The set operations walk trees; these references define them by member paths (as they were
// first written) and the random sets below check both give the same trees, node for node.
const ref = {
  union: (...sets: FieldNode[]) => fromPaths(sets.flatMap((s) => members(s))),
  difference: (a: FieldNode, b: FieldNode) =>
    fromPaths(members(a).filter((p) => !hasMember(b, p))),
  intersection: (a: FieldNode, b: FieldNode) =>
    fromPaths(members(a).filter((p) => hasMember(b, p))),
  withoutPrefixes: (s: FieldNode, prefixes: FieldPath[]) => fromPaths(members(s).filter((p) =>
    !prefixes.some((q) => q.length <= p.length && q.every((x, i) => p[i] === x)))),
  equalSets: (a: FieldNode, b: FieldNode) =>
    JSON.stringify(members(a)) === JSON.stringify(members(b)),
};

const ELEMENTS = ['f:a', 'f:b', 'k:{"name":"x"}', 'v:"q"', 'i:0', 'f:status'];

function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

/** randomSet builds raw trees, including memberless branches fromFieldsV1 can produce. */
function randomSet(rnd: () => number, depth: number): FieldNode {
  // Its own map, possibly left empty: the operations must take both that and a leaf's shared one.
  const children = new Map<string, FieldNode>();
  const node: FieldNode = { member: rnd() < 0.4, children };
  if (depth > 0) {
    for (const pe of ELEMENTS) if (rnd() < 0.35) children.set(pe, randomSet(rnd, depth - 1));
  }
  return node;
}

type Shape = [boolean, [string, Shape][]];
function shape(n: FieldNode): Shape {
  const children = [...n.children].sort(([a], [b]) => (a < b ? -1 : 1));
  return [n.member, children.map(([k, c]) => [k, shape(c)])];
}

describe('field sets: tree operations equal the member-path definitions', () => {
  it('union, difference, intersection, withoutPrefixes, subtree, isEmpty, equalSets', () => {
    const rnd = lcg(7);
    const pick = (): string => ELEMENTS[Math.floor(rnd() * ELEMENTS.length)] ?? 'f:a';
    for (let i = 0; i < 200; i++) {
      const [a, b, c] = [randomSet(rnd, 4), randomSet(rnd, 4), randomSet(rnd, 3)];
      const prefixes: FieldPath[] = [[pick()], [pick(), pick()]];
      assert.deepEqual(shape(union(a, b, c)), shape(ref.union(a, b, c)));
      assert.deepEqual(shape(union()), shape(ref.union()));
      assert.deepEqual(shape(difference(a, b)), shape(ref.difference(a, b)));
      assert.deepEqual(shape(intersection(a, b)), shape(ref.intersection(a, b)));
      const cut = withoutPrefixes(a, prefixes);
      assert.deepEqual(shape(cut), shape(ref.withoutPrefixes(a, prefixes)));
      const status = fromPaths(members(a).filter((p) => p[0] === 'f:status'));
      assert.deepEqual(shape(subtree(a, 'f:status')), shape(status));
      assert.equal(isEmpty(a), members(a).length === 0);
      const same = rnd() < 0.3 ? ref.union(a) : b;
      assert.equal(equalSets(a, same), ref.equalSets(a, same));
    }
  });

  it('the in-place forms on pruned sets give the copying forms\' trees', () => {
    const rnd = lcg(17);
    const pick = (): string => ELEMENTS[Math.floor(rnd() * ELEMENTS.length)] ?? 'f:a';
    let overlapping = 0;
    let subsets = 0;
    for (let i = 0; i < 300; i++) {
      // Pruned, as the sets recordUpdate hands them are (compare's, canonical FieldsV1's).
      const [a, b] = [union(randomSet(rnd, 4)), union(randomSet(rnd, 4))];
      const small = rnd() < 0.3 ? intersection(b, a) : b;
      assert.deepEqual(shape(takeAll(union(a), union(b))), shape(union(a, b)));
      const prefixes: FieldPath[] = [[pick()], [pick(), pick()]];
      const cut = fromPaths(prefixes);
      assert.deepEqual(shape(cutMembersOf(union(a), cut)), shape(withoutPrefixes(a, prefixes)));
      assert.deepEqual(shape(subtreeOwned(a, 'f:status')), shape(subtree(a, 'f:status')));
      assert.equal(overlaps(a, b), !isEmpty(intersection(a, b)));
      assert.equal(isSubset(small, a), isEmpty(difference(small, a)));
      if (overlaps(a, b)) overlapping++;
      if (isSubset(small, a) && !isEmpty(small)) subsets++;
    }
    // Both answers of each question occur.
    assert.ok(overlapping > 30 && overlapping < 270, `${overlapping} overlapping of 300`);
    assert.ok(subsets > 20, `${subsets} non-empty subsets of 300`);
    // The root's flag stays as it was.
    const rooted = fromPaths([['f:a']]);
    rooted.member = true;
    assert.equal(takeAll(newFieldSet(), rooted).member, false);
  });

  it('an empty prefix removes everything; the root is never a member', () => {
    const s = fromPaths([['f:a'], ['f:b', 'f:c']]);
    assert.ok(isEmpty(withoutPrefixes(s, [[]])));
    s.member = true;
    assert.equal(union(s).member, false);
    assert.equal(difference(s, newFieldSet()).member, false);
  });
});

/** randomJson builds FieldsV1-like JSON, canonical or not (order, ".", non-object values). */
function randomJson(rnd: () => number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = [...ELEMENTS, '.'];
  // Shuffled about half the time: element order is part of the canonical form.
  if (rnd() < 0.5) keys.sort(() => rnd() - 0.5);
  for (const k of keys) {
    if (rnd() >= 0.3) continue;
    const r = rnd();
    out[k] = r < 0.05 ? 1 : depth === 0 || r < 0.4 || k === '.' ? (r < 0.1 ? { x: {} } : {})
      : randomJson(rnd, depth - 1);
  }
  return out;
}

describe('field sets: questions asked of FieldsV1 JSON without decoding it', () => {
  it('isCanonicalFieldsV1 is exactly "toFieldsV1(fromFieldsV1(json)) writes it back as it was"', () => {
    const rnd = lcg(11);
    let canonical = 0;
    for (let i = 0; i < 2000; i++) {
      const json = randomJson(rnd, 3);
      const same = JSON.stringify(toFieldsV1(fromFieldsV1(json as never))) === JSON.stringify(json);
      assert.equal(isCanonicalFieldsV1(json as never), same, JSON.stringify(json));
      if (same) canonical++;
    }
    // Both answers occur often enough for the comparison to mean something.
    assert.ok(canonical > 200 && canonical < 1800, `${canonical} canonical of 2000`);
    assert.equal(isCanonicalFieldsV1({ 'f:a': { '.': {} } }), false);
    assert.equal(isCanonicalFieldsV1({ '.': {}, 'f:a': {} }), false);
    assert.equal(isCanonicalFieldsV1({ 'f:a': { '.': {}, 'f:b': {} } }), true);
    assert.equal(isCanonicalFieldsV1(undefined), false);
  });

  it('sharesMember and membersWithin answer as intersection and difference do', () => {
    const rnd = lcg(13);
    for (let i = 0; i < 300; i++) {
      // `a` pruned, as every set written to FieldsV1 is; `b` raw.
      const [a, b] = [union(randomSet(rnd, 4)), randomSet(rnd, 4)];
      const json = toFieldsV1(a);
      assert.ok(isCanonicalFieldsV1(json));
      assert.equal(sharesMember(b, json), !isEmpty(intersection(a, b)));
      assert.equal(membersWithin(b, json), isEmpty(difference(b, a)));
      // A set always shares with and lies within its own encoding, unless it has no members.
      assert.equal(membersWithin(a, json), true);
      assert.equal(sharesMember(a, json), !isEmpty(a));
    }
  });

  it('withMembersOf writes toFieldsV1(takeAll(fromFieldsV1(json), set)), sharing what it adds nothing to', () => {
    const rnd = lcg(19);
    let shared = 0;
    let unchanged = 0;
    for (let i = 0; i < 500; i++) {
      // Canonical JSON (an encoded pruned set) and a pruned set, as recordUpdate has them.
      const json = toFieldsV1(union(randomSet(rnd, 4)));
      const set = rnd() < 0.2 ? intersection(fromFieldsV1(json), randomSet(rnd, 4)) : union(randomSet(rnd, 4));
      const want = JSON.stringify(toFieldsV1(takeAll(fromFieldsV1(json), union(set))));
      const got = withMembersOf(json, set);
      assert.equal(JSON.stringify(got), want, `${JSON.stringify(json)} + ${JSON.stringify(toFieldsV1(set))}`);
      if (got === json) unchanged++;
      for (const k of Object.keys(json)) if (got !== json && got[k] === json[k]) shared++;
    }
    // Both the JSON as read and new JSON sharing some of its branches occur.
    assert.ok(unchanged > 20 && unchanged < 480, `${unchanged} of 500 unchanged`);
    assert.ok(shared > 20, `${shared} branches shared`);
  });

  it('withoutMembersJson writes toFieldsV1(difference(fromFieldsV1(json), set)), sharing what it cuts nothing from', () => {
    const rnd = lcg(23);
    let unchanged = 0;
    let emptied = 0;
    let shared = 0;
    for (let i = 0; i < 500; i++) {
      const json = toFieldsV1(union(randomSet(rnd, 4)));
      // Mostly a set cutting some of json's members; the rest raw (memberless branches too).
      const set = rnd() < 0.6 ? intersection(fromFieldsV1(json), randomSet(rnd, 4)) : randomSet(rnd, 4);
      const want = toFieldsV1(difference(fromFieldsV1(json), set));
      const got = withoutMembersJson(json, set);
      assert.equal(JSON.stringify(got), JSON.stringify(want),
        `${JSON.stringify(json)} - ${JSON.stringify(toFieldsV1(set))}`);
      assert.ok(isCanonicalFieldsV1(got));
      if (got === json) unchanged++;
      if (Object.keys(got).length === 0 && Object.keys(json).length > 0) emptied++;
      for (const k of Object.keys(got)) if (got !== json && got[k] === json[k]) shared++;
    }
    assert.ok(unchanged > 20 && unchanged < 480, `${unchanged} of 500 unchanged`);
    assert.ok(emptied > 0, 'no entry cut to nothing');
    assert.ok(shared > 20, `${shared} branches shared`);
    // A member with children keeps them when only it is cut, and keeps itself when they all are.
    const json = { 'f:a': { '.': {}, 'f:b': {} } };
    assert.deepEqual(withoutMembersJson(json, fromPaths([['f:a']])), { 'f:a': { 'f:b': {} } });
    assert.deepEqual(withoutMembersJson(json, fromPaths([['f:a', 'f:b']])), { 'f:a': {} });
    // ... and stays a member beside the children left.
    const two = { 'f:a': { '.': {}, 'f:b': {}, 'f:c': {} } };
    assert.deepEqual(withoutMembersJson(two, fromPaths([['f:a', 'f:b']])), { 'f:a': { '.': {}, 'f:c': {} } });
  });

  it('oneKeyElement (remembered by name and value) writes the JSON of its key object, past its bound too', () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 5000; i++) {
        for (const v of [i, String(i), i % 2 === 0, `a"${i}`]) {
          assert.equal(oneKeyElement('k', v), `k:${JSON.stringify({ k: v })}`);
        }
      }
    }
    assert.equal(oneKeyElement('x', null), 'k:{"x":null}');
    assert.equal(oneKeyElement('x', { b: 1 }), 'k:{"x":{"b":1}}');
  });

  it('keyElement writes one key as it writes several: sorted, JSON-escaped', () => {
    assert.equal(keyElement({ name: 'a"b' }), 'k:{"name":"a\\"b"}');
    assert.equal(keyElement({ type: 'Ready' }), `k:${JSON.stringify({ type: 'Ready' })}`);
    assert.equal(keyElement({ protocol: 'TCP', port: 80 }), 'k:{"port":80,"protocol":"TCP"}');
    assert.equal(keyElement({ x: { b: 1 } }), 'k:{"x":{"b":1}}');
  });
});
