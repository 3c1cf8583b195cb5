/**
 * hashVersions is HashKV's digest: a CRC-32 over every kept version with mod_revision <= rev, in
 * key order then revision order. Only what the log determines goes in (key, revisions, version,
 * lease, value, tombstone-ness), so a member that restored a snapshot and one that replayed the
 * log agree exactly when their kept state agrees. Like etcd's, the number only means something
 * compared with another member's at the same revision and compaction.
 */
import { crc32 } from 'node:zlib';
import type { KeyValue } from '../../gen/mvccpb/kv.js';
import { modRev } from './key-history.js';
import type { MvccStore } from './mvcc-store.js';

/** Fixed part per version: modRev, createRev, version, lease (8 bytes each), lengths (4 + 4). */
const FIXED_BYTES = 40;

export function hashVersions(store: MvccStore, rev: number): number {
  const fixed = Buffer.alloc(FIXED_BYTES);
  let hash = crc32(Buffer.from('k8ts/mvcc/v1'));
  for (const hist of store.order.all()) {
    for (const kv of hist.versions()) {
      if (modRev(kv) > rev) break;
      writeFixed(fixed, kv);
      hash = crc32(fixed, hash);
      hash = crc32(kv.key, hash);
      // Node 20's zlib.crc32 returns 0 for some zero-length buffers instead of the running value
      // (Buffer.alloc(0) does it, an empty slice of a pooled buffer does not); the length is in
      // the fixed part already, so an empty value adds nothing.
      if (kv.value.length > 0) hash = crc32(kv.value, hash);
    }
  }
  return hash >>> 0;
}

function writeFixed(out: Buffer, kv: KeyValue): void {
  out.writeBigInt64BE(kv.modRevision, 0);
  out.writeBigInt64BE(kv.createRevision, 8);
  out.writeBigInt64BE(kv.version, 16);
  out.writeBigInt64BE(kv.lease, 24);
  out.writeUInt32BE(kv.key.length, 32);
  out.writeUInt32BE(kv.value.length, 36);
}
