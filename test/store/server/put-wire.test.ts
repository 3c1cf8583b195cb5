/**
 * The Put's hand-coded gRPC request and answer (put-wire.ts): the objects and bytes the generated
 * codecs give, for random Puts and answers and for the shapes that must go to the generated ones.
 */
import assert from 'node:assert/strict';
import { PutRequest, PutResponse } from '../../../src/gen/etcdserverpb/rpc.js';
import { Prng } from '../../../src/base/prng.js';
import { decodePutRequest, encodePutResponse } from '../../../src/store/server/put-wire.js';

function generatedResponse(res: PutResponse): Buffer {
  return Buffer.from(PutResponse.encode(res).finish());
}

/** A random u64 from small to past 2^53 (the hand encoder's bound). */
function u64(rng: Prng): bigint {
  const bits = rng.int(66);
  return bits === 0 ? 0n : BigInt.asUintN(64, (BigInt(rng.int(2 ** 30)) << BigInt(Math.max(0, bits - 30))) | 1n);
}

describe('store Put wire codecs', () => {
  it('decode a Put as the generated decoder does (random fields, views of the body)', () => {
    const rng = new Prng(3);
    for (let i = 0; i < 500; i++) {
      const put = PutRequest.fromPartial({
        key: Buffer.alloc(rng.int(40), 0x61 + rng.int(20)),
        value: Buffer.alloc(rng.int(3) === 0 ? 0 : rng.int(2000), rng.int(256)),
        lease: rng.int(4) === 0 ? BigInt.asIntN(64, u64(rng)) : 0n,
        prevKv: rng.int(2) === 1, ignoreValue: rng.int(2) === 1, ignoreLease: rng.int(2) === 1,
      });
      const body = Buffer.from(PutRequest.encode(put).finish());
      assert.deepEqual(decodePutRequest(body), PutRequest.decode(body));
    }
    const body = Buffer.from(PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from('k'), value: Buffer.from('v') })).finish());
    const got = decodePutRequest(body);
    assert.equal(got.value.buffer, body.buffer, 'the value is a view of the request body');
  });

  it('hand a Put with an unknown field or a truncated one to the generated decoder', () => {
    const known = PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from('k'), value: Buffer.from('v') })).finish();
    const unknown = Buffer.concat([known, Buffer.from([0x3a, 0x01, 0x78])]); // field 7, bytes "x"
    assert.deepEqual(decodePutRequest(unknown), PutRequest.decode(unknown));
    assert.throws(() => decodePutRequest(Buffer.from([0x0a, 0x05, 0x61])), 'truncated: the generated decoder throws');
  });

  it('encode an answer as the generated encoder does (random headers, prev_kv, no header)', () => {
    const rng = new Prng(4);
    for (let i = 0; i < 500; i++) {
      const header = { clusterId: u64(rng), memberId: u64(rng), revision: BigInt.asIntN(64, u64(rng)), raftTerm: u64(rng) };
      const prevKv = rng.int(5) === 0
        ? { key: Buffer.from('k'), createRevision: 1n, modRevision: 2n, version: 1n, value: Buffer.from('v'), lease: 0n }
        : undefined;
      const res: PutResponse = { header: rng.int(20) === 0 ? undefined : header, prevKv };
      assert.ok(encodePutResponse(res).equals(generatedResponse(res)), JSON.stringify(header, (_, v) => String(v)));
    }
    const zero: PutResponse = { header: { clusterId: 0n, memberId: 0n, revision: 0n, raftTerm: 0n }, prevKv: undefined };
    assert.ok(encodePutResponse(zero).equals(generatedResponse(zero)));
  });
});
