/**
 * decodeStoreRequest (the hand-written path for committed puts) must yield exactly what the
 * generated StoreRequest.decode yields — or fail exactly when it fails — for every entry: well
 * formed ones of every shape, and corrupted ones (a log can carry anything `k8ts propose` put
 * there, and every member must refuse or accept it the same way as before).
 */
import assert from 'node:assert/strict';
import { PutRequest, RangeRequest, type Compare, type RequestOp } from '../../../src/gen/etcdserverpb/rpc.js';
import { StoreRequest } from '../../../src/gen/k8ts/store/v1/store.js';
import { Prng } from '../../../src/base/prng.js';
import { decodeStoreRequest, fastDecode } from '../../../src/store/apply/request-decode.js';
import { MvccState } from '../../../src/store/apply/state.js';

const encode = (req: StoreRequest): Buffer => Buffer.from(StoreRequest.encode(req).finish());

/** outcome is the decoded request, or the error's text. */
function outcome(decode: (b: Buffer) => StoreRequest, data: Buffer): unknown {
  try {
    return decode(data);
  } catch (err) {
    return `error: ${String(err)}`;
  }
}

function same(data: Buffer): void {
  assert.deepEqual(outcome(decodeStoreRequest, data), outcome((b) => StoreRequest.decode(b), data));
}

const LEASES = [0n, 1n, 127n, 128n, 2n ** 31n, 2n ** 32n + 5n, 2n ** 53n + 1n, 2n ** 63n - 1n, -1n, -(2n ** 63n)];

function samples(): StoreRequest[] {
  const out: StoreRequest[] = [];
  for (const lease of LEASES) {
    for (const flags of [0, 1, 2, 4, 7]) {
      const put = PutRequest.fromPartial({
        key: Buffer.from(`/registry/pods/ns/p-${lease}`),
        value: Buffer.alloc(Number(flags) * 100, 'v'),
        lease,
        prevKv: (flags & 1) !== 0,
        ignoreValue: (flags & 2) !== 0,
        ignoreLease: (flags & 4) !== 0,
      });
      out.push({ trace: undefined, op: { $case: 'put', value: put } });
      out.push({ trace: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'k=v' }, op: { $case: 'put', value: put } });
    }
  }
  out.push({ trace: { traceparent: 'ünïcode', tracestate: '' }, op: { $case: 'put', value: PutRequest.fromPartial({ key: Buffer.from('k') }) } });
  out.push({ trace: undefined, op: { $case: 'put', value: PutRequest.fromPartial({}) } });
  out.push({ trace: undefined, op: { $case: 'deleteRange', value: { key: Buffer.from('a'), rangeEnd: Buffer.from('b'), prevKv: true } } });
  out.push({ trace: undefined, op: { $case: 'compaction', value: { revision: 5n, physical: false } } });
  out.push({ trace: undefined, op: undefined });
  out.push(...txnSamples());
  return out;
}

/** txnSamples: the API server's create and update txns (with fences and companions), every
 *  compare target, ranges with every field, and the shapes the fast path leaves alone. */
function txnSamples(): StoreRequest[] {
  const key = Buffer.from('/registry/pods/ns/p');
  const cmp = (c: Partial<Compare>): Compare => ({ result: 0, target: 3, key, targetUnion: undefined, rangeEnd: Buffer.alloc(0), ...c });
  const put = (v: number): RequestOp => ({ request: { $case: 'requestPut', value: PutRequest.fromPartial({ key, value: Buffer.alloc(v, 'p'), lease: BigInt(v) }) } });
  const get = (r: Partial<RangeRequest>): RequestOp => ({ request: { $case: 'requestRange', value: RangeRequest.fromPartial({ key, ...r }) } });
  const compares: Compare[] = [
    cmp({ targetUnion: { $case: 'modRevision', value: 0n } }),
    cmp({ targetUnion: { $case: 'modRevision', value: 2n ** 40n + 3n } }),
    cmp({ result: 1, target: 0, targetUnion: { $case: 'version', value: -1n } }),
    cmp({ result: 2, target: 1, targetUnion: { $case: 'createRevision', value: 300n } }),
    cmp({ result: 3, target: 2, targetUnion: { $case: 'value', value: Buffer.from('v') } }),
    cmp({ target: 4, targetUnion: { $case: 'lease', value: 2n ** 63n - 1n }, rangeEnd: Buffer.from('\0') }),
    cmp({ key: Buffer.alloc(0) }),
  ];
  const gets: RequestOp[] = [
    get({}),
    get({ rangeEnd: Buffer.from('z'), limit: 5n, revision: 9n, sortOrder: 1, sortTarget: 4, serializable: true }),
    get({ keysOnly: true, countOnly: true, minModRevision: 1n, maxModRevision: 2n, minCreateRevision: 3n, maxCreateRevision: -4n }),
  ];
  const trace = { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: '' };
  const txn = (compare: Compare[], success: RequestOp[], failure: RequestOp[]): StoreRequest =>
    ({ trace, op: { $case: 'txn', value: { compare, success, failure } } });
  const out: StoreRequest[] = [];
  for (const c of compares) {
    for (const g of gets) out.push(txn([c, compares[1]!], [put(2000), put(0)], [g, get({})]));
    out.push(txn([c], [], []));
  }
  out.push({ trace: undefined, op: { $case: 'txn', value: { compare: [], success: [], failure: [] } } });
  out.push(txn([], [{ request: undefined }], []));
  // Left to the generated decoder: a delete and a nested txn in a branch.
  out.push(txn([], [{ request: { $case: 'requestDeleteRange', value: { key, rangeEnd: Buffer.alloc(0), prevKv: false } } }], []));
  out.push(txn([], [{ request: { $case: 'requestTxn', value: { compare: compares, success: [put(1)], failure: [] } } }], []));
  return out;
}

describe('store: decoding committed entries', () => {
  it('decodes every well-formed request exactly as the generated decoder does', () => {
    for (const req of samples()) {
      const data = encode(req);
      same(data);
      assert.deepEqual(decodeStoreRequest(data), StoreRequest.decode(data));
    }
  });

  it("takes the fast path for puts and the API server's txns", () => {
    const fast = samples().filter((r) => r.op?.$case === 'put' || r.op?.$case === 'txn')
      .filter((r) => r.trace === undefined || !r.trace.traceparent.includes('ü'))
      .filter((r) => r.op?.$case !== 'txn' || r.op.value.success.every((o) => o.request?.$case !== 'requestDeleteRange' && o.request?.$case !== 'requestTxn'));
    assert.ok(fast.length > 40);
    for (const req of fast) assert.deepEqual(fastDecode(encode(req)), StoreRequest.decode(encode(req)));
  });

  it('the state keeps its own copies of a put\'s key and value, never views of the entry', () => {
    // The decoder hands out views of the entry (the store copies what it keeps): a stored key
    // or value must neither keep the entry alive nor change with it. Plain put and txn put.
    const state = new MvccState();
    const put = encode({ trace: undefined, op: { $case: 'put', value: PutRequest.fromPartial({ key: Buffer.from('k'), value: Buffer.from('v') }) } });
    const txn = encode({
      trace: undefined,
      op: { $case: 'txn', value: { compare: [], failure: [], success: [{ request: { $case: 'requestPut', value: PutRequest.fromPartial({ key: Buffer.from('t'), value: Buffer.from('w') }) } }] } },
    });
    assert.ok(!('error' in state.apply(1, decodeStoreRequest(put))));
    assert.ok(!('error' in state.apply(2, decodeStoreRequest(txn))));
    put.fill(0);
    txn.fill(0);
    for (const [k, v] of [['k', 'v'], ['t', 'w']]) {
      const kvs = state.range(RangeRequest.fromPartial({ key: Buffer.from(k!) })).kvs;
      assert.equal(kvs.length, 1);
      assert.equal(kvs[0]!.key.toString(), k);
      assert.equal(kvs[0]!.value.toString(), v);
      assert.ok(kvs[0]!.key.buffer !== put.buffer && kvs[0]!.key.buffer !== txn.buffer, 'a stored key views the entry');
    }
  });

  it('agrees with the generated decoder on repeated fields, odd orders and corrupted bytes', () => {
    const rng = new Prng(7);
    const bases = samples().map(encode);
    // Repeated and reordered fields: the last occurrence wins in both.
    const a = encode({ trace: undefined, op: { $case: 'put', value: PutRequest.fromPartial({ key: Buffer.from('a'), lease: 3n }) } });
    const b = encode({ trace: { traceparent: 'x', tracestate: 'y' }, op: { $case: 'put', value: PutRequest.fromPartial({ key: Buffer.from('b'), value: Buffer.from('v') }) } });
    same(Buffer.concat([a, b]));
    same(Buffer.concat([b, a]));
    same(Buffer.concat([b, bases.at(-2)!]));
    const t = bases.find((d) => StoreRequest.decode(d).op?.$case === 'txn')!;
    same(Buffer.concat([a, t]));
    same(Buffer.concat([t, a]));
    same(Buffer.concat([t, t]));
    for (let i = 0; i < 20_000; i++) {
      const data = Buffer.from(bases[rng.int(bases.length)]!);
      const edits = 1 + rng.int(3);
      for (let e = 0; e < edits; e++) {
        if (data.length === 0) break;
        data[rng.int(data.length)] = rng.chance(0.5) ? rng.int(256) : data[rng.int(data.length)]!;
      }
      same(rng.chance(0.2) ? data.subarray(0, rng.int(data.length + 1)) : data);
    }
  });
});
