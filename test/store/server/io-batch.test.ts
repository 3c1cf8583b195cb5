/**
 * The I/O thread's batch wire (io-batch.ts): calls and answers survive a pack/unpack round trip
 * with their bytes and metadata, including empty bodies, non-ASCII text and large messages.
 */
import assert from 'node:assert/strict';
import {
  IO_KV_METHODS, IO_PUT_PROPOSAL, packAnswers, packCalls, unpackAnswers, unpackCalls, type IoAnswer, type IoCall,
} from '../../../src/store/server/io-batch.js';

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('store I/O thread batches', () => {
  it('carry calls with their method, hasleader, trace context and exact request bytes', () => {
    const calls: IoCall[] = [
      { id: 1, method: 1, hasLeader: true, traceparent: '00-abc-def-01', tracestate: 'k=v', body: bytes(300, 1) },
      { id: 0xffff_ffff, method: 0, hasLeader: false, traceparent: '', tracestate: '', body: new Uint8Array(0) },
      { id: 7, method: IO_KV_METHODS.length - 1, hasLeader: false, traceparent: 'é✓', tracestate: '', body: bytes(2 << 20, 9) },
      { id: 8, method: IO_PUT_PROPOSAL, hasLeader: true, traceparent: '', tracestate: '', body: bytes(40, 3) },
    ];
    const back = unpackCalls(packCalls(calls));
    assert.equal(back.length, 4);
    back.forEach((c, i) => {
      const want = calls[i]!;
      assert.deepEqual({ ...c, body: undefined }, { ...want, body: undefined });
      assert.ok(Buffer.from(c.body).equals(Buffer.from(want.body)));
    });
  });

  it('carry answers: response bytes with OK, code and details without', () => {
    const answers: IoAnswer[] = [
      { id: 3, code: 0, details: '', body: bytes(64, 3) },
      { id: 4, code: 9, details: 'etcdserver: requested lease not found', body: new Uint8Array(0) },
      { id: 5, code: 0, details: '', body: new Uint8Array(0) },
    ];
    const back = unpackAnswers(packAnswers(answers));
    const hex = (a: IoAnswer): object => ({ ...a, body: Buffer.from(a.body).toString('hex') });
    assert.deepEqual(back.map(hex), answers.map(hex));
  });

  it('an empty batch is an empty buffer, and a truncated one fails loudly', () => {
    assert.deepEqual(unpackCalls(packCalls([])), []);
    const buf = packCalls([{ id: 1, method: 1, hasLeader: false, traceparent: '', tracestate: '', body: bytes(10, 0) }]);
    assert.throws(() => unpackCalls(buf.slice(0, buf.byteLength - 1)), /truncated/);
  });
});
