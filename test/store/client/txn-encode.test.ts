/**
 * The store client's hand-laid Txn request (txn-encode.ts): byte for byte what the generated
 * encoder writes, for random transactions of every op and compare kind, lengths across the
 * varint bounds, nested txns, and the int64s and enums it hands back to the generated encoder.
 */
import assert from 'node:assert/strict';
import {
  Compare,
  DeleteRangeRequest,
  KVService,
  PutRequest,
  RangeRequest,
  TxnRequest,
  type RequestOp,
} from '../../../src/gen/etcdserverpb/rpc.js';
import { Prng } from '../../../src/base/prng.js';
import { encodeTxnFramed, encodeTxnRequest, TXN } from '../../../src/store/client/txn-encode.js';
import { frameMessage } from '../../../src/rpc/fast-unary-frame.js';
import { compare, op, txnRequest } from '../../../src/store/client/txn.js';

const SIZES = [0, 1, 127, 128, 300, 16_383, 16_384, 70_000];
const IN_RANGE_INT64S = [0n, 1n, 127n, 128n, 16_384n, 2n ** 32n, 2n ** 53n - 1n];
const OTHER_INT64S = [2n ** 53n, 2n ** 63n - 1n, -1n, -(2n ** 63n)];
const ENUMS = [0, 1, 2, 3, 4, 127, 128];

function pick<T>(prng: Prng, xs: readonly T[]): T {
  return xs[prng.range(0, xs.length - 1)]!;
}

/** int64: mostly what the hand layout writes, now and then one it hands on. */
function int64(prng: Prng): bigint {
  return pick(prng, prng.range(0, 199) === 0 ? OTHER_INT64S : IN_RANGE_INT64S);
}

function enumValue(prng: Prng): number {
  return prng.range(0, 199) === 0 ? -1 : pick(prng, ENUMS);
}

function bytes(prng: Prng): Buffer {
  const b = Buffer.alloc(pick(prng, SIZES));
  for (let i = 0; i < b.length; i += 97) b[i] = prng.range(0, 255);
  return b;
}

function randomCompare(prng: Prng): Compare {
  const unions: Compare['targetUnion'][] = [undefined,
    { $case: 'version', value: int64(prng) }, { $case: 'createRevision', value: int64(prng) },
    { $case: 'modRevision', value: int64(prng) }, { $case: 'value', value: bytes(prng) },
    { $case: 'lease', value: int64(prng) }];
  return Compare.fromPartial({ result: enumValue(prng), target: enumValue(prng), key: bytes(prng),
    targetUnion: pick(prng, unions), rangeEnd: bytes(prng) });
}

function randomOp(prng: Prng, depth: number): RequestOp {
  const bool = (): boolean => prng.range(0, 1) === 1;
  switch (prng.range(0, depth > 1 ? 3 : 4)) {
    case 0: return { request: { $case: 'requestRange', value: RangeRequest.fromPartial({
      key: bytes(prng), rangeEnd: bytes(prng), limit: int64(prng), revision: int64(prng),
      sortOrder: enumValue(prng), sortTarget: enumValue(prng), serializable: bool(), keysOnly: bool(),
      countOnly: bool(), minModRevision: int64(prng), maxModRevision: int64(prng),
      minCreateRevision: int64(prng), maxCreateRevision: int64(prng) }) } };
    case 1: return { request: { $case: 'requestPut', value: PutRequest.fromPartial({
      key: bytes(prng), value: bytes(prng), lease: int64(prng), prevKv: bool(), ignoreValue: bool(),
      ignoreLease: bool() }) } };
    case 2: return { request: { $case: 'requestDeleteRange', value: DeleteRangeRequest.fromPartial({
      key: bytes(prng), rangeEnd: bytes(prng), prevKv: bool() }) } };
    case 3: return { request: undefined };
    default: return { request: { $case: 'requestTxn', value: randomTxn(prng, depth + 1) } };
  }
}

function randomTxn(prng: Prng, depth = 0): TxnRequest {
  const n = (): number => prng.range(0, 3);
  return {
    compare: Array.from({ length: n() }, () => randomCompare(prng)),
    success: Array.from({ length: n() }, () => randomOp(prng, depth)),
    failure: Array.from({ length: n() }, () => randomOp(prng, depth)),
  };
}

/** inRange: only int64s in 0..2^53-1 and non-negative enums, what the hand layout writes itself
 *  (anything else goes to the generated encoder). */
function inRange(v: unknown): boolean {
  if (typeof v === 'bigint') return v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER);
  if (typeof v === 'number') return v >= 0;
  if (Buffer.isBuffer(v) || typeof v !== 'object' || v === null) return true;
  return Object.values(v).every(inRange);
}

describe('store client Txn requests encoded by hand (encodeTxnRequest)', () => {
  const generated = (t: TxnRequest): Buffer => KVService.txn.requestSerialize(t);

  it('are byte for byte what the generated encoder writes, for random transactions', () => {
    const prng = new Prng(23);
    let compared = 0;
    for (let i = 0; i < 500; i++) {
      const t = randomTxn(prng);
      const got = encodeTxnRequest(t);
      const want = generated(t);
      assert.ok(got.equals(want), `case ${i}: ${got.length} vs ${want.length} bytes`);
      assert.ok(encodeTxnFramed(t).equals(frameMessage(want)), `case ${i} framed`);
      assert.deepEqual(TxnRequest.decode(got), TxnRequest.decode(want));
      if (inRange(t)) compared++;
    }
    assert.ok(compared > 100, `only ${compared} cases in the hand layout's range`);
  });

  it('lays out the API server writes themselves (create, update with its Else read)', () => {
    const value = Buffer.alloc(3_500, 0x61);
    const create = txnRequest([compare.modRevision('/registry/pods/ns/p', '=', 0)],
      [op.put('/registry/pods/ns/p', value)], []);
    const update = txnRequest([compare.modRevision('/registry/pods/ns/p', '=', 1_234_567)],
      [op.put('/registry/pods/ns/p', value, { lease: 0x7fff_0001n })], [op.get('/registry/pods/ns/p')]);
    for (const t of [create, update]) {
      assert.ok(TXN.requestSerialize(t).equals(generated(t)));
      assert.ok(TXN.requestFramed(t).equals(frameMessage(generated(t))));
    }
  });

  it('hands int64s past 2^53-1, negative ones and negative enums to the generated encoder', () => {
    const big = txnRequest([compare.modRevision('/k', '=', 5)], [op.put('/k', 'v', { lease: 2n ** 63n - 1n })], []);
    const negative = txnRequest([compare.lease('/k', '=', -1n)], [], []);
    const badEnum: TxnRequest = { compare: [Compare.fromPartial({ result: -1, key: Buffer.from('/k') })], success: [], failure: [] };
    for (const t of [big, negative, badEnum]) {
      assert.ok(encodeTxnRequest(t).equals(generated(t)));
      assert.ok(encodeTxnFramed(t).equals(frameMessage(generated(t))));
    }
  });
});
