/**
 * The Put proposal the I/O thread builds (request-encode.ts's putProposal): byte for byte the
 * StoreRequest the main thread's put would propose, and nothing for a Put the main thread must
 * answer with an error (so it crosses as it came).
 */
import assert from 'node:assert/strict';
import { PutRequest } from '../../../src/gen/etcdserverpb/rpc.js';
import { StoreRequest } from '../../../src/gen/k8ts/store/v1/store.js';
import { Prng } from '../../../src/base/prng.js';
import { encodePutProposal, encodeRequest, putProposal } from '../../../src/store/server/request-encode.js';

function putBytes(p: Partial<PutRequest>): Uint8Array {
  return PutRequest.encode(PutRequest.fromPartial(p)).finish();
}

describe('store I/O thread Put proposals', () => {
  it('are the StoreRequest the main thread would propose, with the trace context', () => {
    const put = PutRequest.fromPartial({ key: Buffer.from('/a/b'), value: Buffer.alloc(256, 7), lease: 5n, prevKv: true });
    const got = putProposal(putBytes(put), '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'k=v');
    const want = encodeRequest({
      trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'k=v' },
      op: { $case: 'put', value: PutRequest.decode(putBytes(put)) },
    });
    assert.ok(got !== undefined);
    assert.ok(Buffer.from(got).equals(Buffer.from(want)));
    const back = StoreRequest.decode(got);
    assert.equal(back.op?.$case, 'put');
    assert.equal(back.trace?.tracestate, 'k=v');

    const untraced = StoreRequest.decode(putProposal(putBytes(put), '', '')!);
    assert.equal(untraced.trace, undefined);
    assert.deepEqual(untraced.op, { $case: 'put', value: PutRequest.decode(putBytes(put)) });
  });

  it('are not built for a Put that fails validation or does not decode', () => {
    assert.equal(putProposal(putBytes({ key: Buffer.alloc(0), value: Buffer.from('v') }), '', ''), undefined);
    assert.equal(putProposal(putBytes({ key: Buffer.from('k'), ignoreLease: true, lease: 3n }), '', ''), undefined);
    assert.equal(putProposal(Uint8Array.from([0x0a, 0xff, 0xff]), '', ''), undefined);
  });
});

describe('store Put proposals encoded by hand (encodePutProposal)', () => {
  const generated = (put: PutRequest, trace?: { traceparent: string; tracestate: string }): Buffer =>
    Buffer.from(StoreRequest.encode({ trace, op: { $case: 'put', value: put } }).finish());

  it('are byte for byte what StoreRequest.encode writes, after the room left for the envelope', () => {
    const prng = new Prng(11);
    const sizes = [0, 1, 127, 128, 300, 16_383, 16_384, 70_000];
    const leases = [0n, 1n, 127n, 128n, 0x7fff_0001_0000_0005n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, -1n];
    const traces = [undefined, { traceparent: '', tracestate: '' }, { traceparent: '00-ab-cd-01', tracestate: '' },
      { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'k=v,é=ü' }];
    for (let i = 0; i < 400; i++) {
      const put = PutRequest.fromPartial({
        key: Buffer.alloc(sizes[prng.range(0, sizes.length - 1)]!, i),
        value: Buffer.alloc(sizes[prng.range(0, sizes.length - 1)]!, i + 1),
        lease: leases[prng.range(0, leases.length - 1)]!,
        prevKv: prng.range(0, 1) === 1,
        ignoreValue: prng.range(0, 1) === 1,
        ignoreLease: prng.range(0, 1) === 1,
      });
      const trace = traces[prng.range(0, traces.length - 1)];
      const room = prng.range(0, 1) === 1 ? 16 : 0;
      const got = encodePutProposal(put, trace, room);
      const want = generated(put, trace);
      assert.equal(got.length, room + want.length, `case ${i}: length`);
      assert.ok(got.subarray(room).equals(want), `case ${i}: bytes differ`);
    }
  });
});
