import { strict as assert } from 'node:assert';
import { isDeepStrictEqual } from 'node:util';
import { cloneJson, jsonEqual } from '../../../src/api/patch/json.js';

function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

const KEYS = ['a', 'b', '1', '0', '__proto__', 'constructor', '', 'é', '10'];
const SCALARS: unknown[] = ['s', 1, -0, 0, NaN, 1.5, true, false, null, undefined, 10n];

/** randomValue: plain JSON-like data with undefined members, -0, NaN, bigint and own __proto__
 *  keys, and now and then something only structuredClone copies (another prototype, a hole). */
function randomValue(rnd: () => number, depth: number): unknown {
  const r = rnd();
  if (depth <= 0 || r < 0.3) return SCALARS[Math.floor(rnd() * SCALARS.length)];
  if (r < 0.5) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth - 1));
  // eslint-disable-next-line no-sparse-arrays
  if (r < 0.53) return [new Date(5), Object.create(null) as object, new Map([[1, 2]]), [, 1]][Math.floor(rnd() * 4)];
  if (r < 0.56) return JSON.parse('{"__proto__":{"x":1},"a":2}') as unknown;
  const o: Record<string, unknown> = {};
  // Defined, not assigned: an assigned __proto__ would set the prototype, not make a member.
  for (const k of KEYS) {
    if (rnd() < 0.3) {
      Object.defineProperty(o, k, { value: randomValue(rnd, depth - 1), writable: true,
        enumerable: true, configurable: true });
    }
  }
  return o;
}

/** shape: a value's own keys in order, prototypes and the primitives isDeepStrictEqual blurs. */
function shape(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v;
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Map) return ['Map', [...v].map(shape)];
  if (v instanceof Date) return ['Date', v.getTime()];
  const proto = Object.getPrototypeOf(v) === Object.prototype ? 'Object'
    : Array.isArray(v) ? 'Array' : String(Object.getPrototypeOf(v));
  const keys = Reflect.ownKeys(v).filter((k) => k !== 'length' || !Array.isArray(v));
  return [proto, Array.isArray(v) ? v.length : -1,
    keys.map((k) => [String(k), shape((v as Record<string | symbol, unknown>)[k])])];
}

describe('cloneJson', () => {
  it('copies what structuredClone copies, key for key, in order, sharing nothing', () => {
    const rnd = lcg(13);
    for (let i = 0; i < 5000; i++) {
      const v = randomValue(rnd, 5);
      const copy = cloneJson(v);
      assert.ok(isDeepStrictEqual(shape(copy), shape(structuredClone(v))), JSON.stringify(shape(v)));
      if (typeof v === 'object' && v !== null) assert.notEqual(copy, v);
    }
  });

  it('keeps an own __proto__ a member and leaves the prototype alone', () => {
    const v = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    const copy = cloneJson(v);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.keys(copy), ['__proto__', 'a']);
    assert.equal((copy as { polluted?: boolean }).polluted, undefined);
  });

  it('throws where structuredClone throws; copies cycles and deep nesting as it does', () => {
    assert.throws(() => cloneJson({ f: () => 1 }), { name: 'DataCloneError' });
    assert.throws(() => cloneJson([Symbol('s')]), { name: 'DataCloneError' });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const c = cloneJson(cyclic);
    assert.equal(c.self, c);
    let deep: unknown = 0;
    for (let i = 0; i < 2000; i++) deep = [deep];
    assert.ok(jsonEqual(cloneJson(deep) as never, deep as never));
  });
});
