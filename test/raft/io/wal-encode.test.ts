import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { Prng } from '../../../src/base/prng.js';
import { Entry as EntryCodec, HardState as HardStateCodec } from '../../../src/gen/k8ts/raft/v1/raft.js';
import { encodeRecords, HEADER_BYTES, type WalRecord } from '../../../src/raft/io/wal-encode.js';

/** The frame the generated codecs give (what the WAL wrote before encodeRecords). */
function reference(r: WalRecord): Buffer {
  let type: number;
  let payload: Uint8Array;
  if (r.kind === 'entry') [type, payload] = [1, EntryCodec.encode(r.entry).finish()];
  else if (r.kind === 'hard-state') [type, payload] = [2, HardStateCodec.encode(r.hardState).finish()];
  else {
    const p = Buffer.alloc(17);
    p.writeBigUInt64BE(BigInt(r.index), 0);
    p.writeBigUInt64BE(BigInt(r.term), 8);
    p.writeUInt8(r.reset ? 1 : 0, 16);
    [type, payload] = [3, p];
  }
  const out = Buffer.alloc(HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt8(type, 8);
  out.set(payload, HEADER_BYTES);
  out.writeUInt32BE(zlib.crc32(out.subarray(8)), 4);
  return out;
}

/** Numbers around every varint length boundary, up to the largest safe integer. */
function edgy(prng: Prng): number {
  const picks = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 49, 2 ** 53 - 1];
  return prng.float() < 0.5 ? picks[prng.range(0, picks.length - 1)]! : prng.range(0, 2 ** 40);
}

function randomRecord(prng: Prng): WalRecord {
  const k = prng.range(0, 2);
  if (k === 0) {
    const data = Buffer.alloc([0, 1, 127, 128, 300, 20_000][prng.range(0, 5)]!, prng.range(0, 255));
    return { kind: 'entry', entry: { term: edgy(prng), index: edgy(prng), type: prng.range(0, 1), data } };
  }
  if (k === 1) return { kind: 'hard-state', hardState: { term: edgy(prng), vote: edgy(prng), commit: edgy(prng) } };
  return { kind: 'snapshot', index: edgy(prng), term: edgy(prng), reset: prng.float() < 0.5 };
}

describe('WAL record encoding', () => {
  it('writes exactly the frames the generated codecs give, back to back', () => {
    const prng = new Prng(42);
    for (let round = 0; round < 300; round++) {
      const records = Array.from({ length: prng.range(1, 8) }, () => randomRecord(prng));
      const want = Buffer.concat(records.map(reference));
      assert.deepEqual(encodeRecords(records, 64 * 1024 * 1024), want);
    }
  });

  it('refuses a record over the size limit', () => {
    const entry = { term: 1, index: 1, type: 0, data: Buffer.alloc(100) };
    assert.throws(() => encodeRecords([{ kind: 'entry', entry }], 50), /too large/);
  });
});
