import assert from 'node:assert/strict';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { Prng } from '../../../src/base/prng.js';
import type { Message } from '../../../src/gen/k8ts/raft/v1/raft.js';
import { ReplicateRequest } from '../../../src/gen/k8ts/raft/v1/transport.js';
import { decodeReplicateRequest, encodeReplicateRequest } from '../../../src/raft/io/replicate-codec.js';

/** Numbers around every varint length boundary, up to the largest safe integer. */
function edgy(prng: Prng): number {
  const picks = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 49, 2 ** 53 - 1];
  return prng.chance(0.5) ? picks[prng.range(0, picks.length - 1)]! : prng.range(0, 2 ** 40);
}

function bytes(prng: Prng): Buffer {
  return Buffer.alloc([0, 0, 1, 127, 128, 300][prng.range(0, 5)]!, prng.range(0, 255));
}

function randomMessage(prng: Prng): Message {
  const entries = Array.from({ length: prng.range(0, 4) }, () => ({
    term: edgy(prng), index: edgy(prng), type: prng.range(0, 1), data: bytes(prng),
  }));
  const snapshot = prng.chance(0.1)
    ? { data: bytes(prng), metadata: { index: edgy(prng), term: edgy(prng), confState: { voters: [1, 2], learners: [3] } } }
    : undefined;
  return {
    type: prng.range(0, 20), to: edgy(prng), from: edgy(prng), term: edgy(prng), logTerm: edgy(prng),
    index: edgy(prng), entries, commit: edgy(prng), snapshot, reject: prng.chance(0.3),
    rejectHint: edgy(prng), context: bytes(prng),
  };
}

function randomRequest(prng: Prng): ReplicateRequest {
  if (prng.chance(0.05)) return { batch: undefined };
  const messages = Array.from({ length: prng.range(0, 5) }, () => randomMessage(prng));
  return { batch: { from: edgy(prng), clusterId: edgy(prng), messages } };
}

describe('Replicate frame codec', () => {
  it('encodes exactly the bytes of the generated encoder', () => {
    const prng = new Prng(7);
    for (let i = 0; i < 500; i++) {
      const req = randomRequest(prng);
      assert.deepEqual(encodeReplicateRequest(req), Buffer.from(ReplicateRequest.encode(req).finish()));
    }
  });

  it('decodes to what the generated decoder gives', () => {
    const prng = new Prng(8);
    for (let i = 0; i < 500; i++) {
      const wire = Buffer.from(ReplicateRequest.encode(randomRequest(prng)).finish());
      assert.deepEqual(decodeReplicateRequest(wire), ReplicateRequest.decode(wire));
    }
  });

  it('skips unknown fields and takes fields in any order', () => {
    const w = new BinaryWriter();
    w.uint32(10).fork();
    w.uint32(26).fork(); // A message: commit before type, plus unknown fields of every wire type.
    w.uint32(64).uint64(9).uint32(8).int32(3);
    w.uint32(200 * 8 + 0).uint64(5).uint32(201 * 8 + 1).fixed64(1).uint32(202 * 8 + 2).bytes(Buffer.from('x'));
    w.uint32(203 * 8 + 5).fixed32(2);
    w.join();
    w.uint32(8).uint64(4); // The batch's from after its messages.
    w.join();
    const wire = Buffer.from(w.finish());
    const got = decodeReplicateRequest(wire);
    assert.deepEqual(got, ReplicateRequest.decode(wire));
    assert.equal(got.batch?.from, 4);
    assert.equal(got.batch?.messages[0]?.commit, 9);
  });

  it('refuses a truncated frame', () => {
    const req = randomRequest(new Prng(9));
    const wire = encodeReplicateRequest({ batch: { from: 1, clusterId: 2, messages: req.batch?.messages ?? [] } });
    assert.throws(() => decodeReplicateRequest(wire.subarray(0, wire.length - 1)), /protobuf/);
  });
});
