/**
 * The etcd Maintenance service: Status and HashKV for operators comparing members, alarms (the
 * NOSPACE quota alarm), Snapshot (the state machine's image streamed with etcd's trailing
 * SHA-256, which etcdctl checks), Defragment (nothing to do: the state lives in memory and the
 * log is compacted by snapshots) and MoveLeader.
 */
import { createHash } from 'node:crypto';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type {
  AlarmRequest,
  AlarmResponse,
  DefragmentRequest,
  DefragmentResponse,
  HashKVRequest,
  HashKVResponse,
  HashRequest,
  HashResponse,
  MaintenanceServer,
  MoveLeaderRequest,
  MoveLeaderResponse,
  SnapshotRequest,
  SnapshotResponse,
  StatusRequest,
  StatusResponse,
} from '../../gen/etcdserverpb/rpc.js';
import { AlarmType } from '../../gen/etcdserverpb/rpc.js';
import { remainingMs } from '../../rpc/defaults.js';
import { etcdErrors } from '../errors.js';
import { statusOf } from './errors.js';
import type { StoreCore } from './store-core.js';
import { serve } from './unary.js';

/** The etcd API version the store implements (what `etcdctl endpoint status` shows). */
export const ETCD_API_VERSION = '3.4.23';
/** Snapshot stream chunk size (etcd sends 32 KiB blobs). */
const SNAPSHOT_CHUNK_BYTES = 32 * 1024;
/** The header of a k8ts store snapshot file (what follows is the state's image). */
export const SNAPSHOT_MAGIC = Buffer.from('k8ts-store-snapshot/v1\n');

export interface MaintenanceDeps {
  core: StoreCore;
  /** waitForLeader resolves when `id` leads, or rejects after the deadline. */
  waitForLeader(id: number, timeoutMs: number): Promise<void>;
}

export function maintenanceService(d: MaintenanceDeps): MaintenanceServer {
  const { core } = d;
  return {
    status: serve<StatusRequest, StatusResponse>(async () => {
      const st = core.node.status();
      const size = BigInt(core.state.sizeBytes());
      return {
        header: core.header(),
        version: ETCD_API_VERSION,
        dbSize: size,
        leader: BigInt(st.leader),
        raftIndex: BigInt(st.commit),
        raftTerm: BigInt(st.term),
        raftAppliedIndex: BigInt(st.applied),
        errors: core.state.alarms().map((a) => `memberID:${a.memberID} alarm:${AlarmType[a.alarm]} `),
        dbSizeInUse: size,
        isLearner: st.confState.learners.includes(core.node.id),
      };
    }),
    hashKv: serve<HashKVRequest, HashKVResponse>(async (req) => {
      const h = core.state.hashKV(Number(req.revision));
      return { header: core.header(h.revision), hash: h.hash, compactRevision: BigInt(h.compactRevision) };
    }),
    hash: serve<HashRequest, HashResponse>(async () => ({ header: core.header(), hash: core.state.hashKV(0).hash })),
    alarm: serve<AlarmRequest, AlarmResponse>(async (req) => {
      if (req.action !== 0) {
        await core.write<AlarmResponse>({ $case: 'alarm', value: req });
      }
      return { header: core.header(), alarms: core.state.alarms() };
    }),
    defragment: serve<DefragmentRequest, DefragmentResponse>(async () => ({ header: core.header() })),
    moveLeader: serve<MoveLeaderRequest, MoveLeaderResponse>(async (req, call) => {
      const st = core.node.status();
      if (st.role !== 'leader') throw etcdErrors.notLeader();
      const target = Number(req.targetID);
      if (!st.confState.voters.includes(target) || target === core.node.id) throw etcdErrors.badLeaderTransferee();
      core.node.transferLeader(target);
      core.opts.kick();
      await d.waitForLeader(target, remainingMs(call.getDeadline(), 10_000)).catch(() => {
        throw etcdErrors.timeoutDueToLeaderFail();
      });
      return { header: core.header() };
    }),
    snapshot: (call) => sendSnapshot(core, call),
  };
}

/** Snapshot files are a whole number of these: etcdctl recognises the trailing SHA-256 by the
 *  file size (a bbolt file is whole pages, so size % 512 must be 32). */
const SNAPSHOT_BLOCK_BYTES = 512;

/** snapshotFile is the bytes `etcdctl snapshot save` writes before the checksum: the magic, the
 *  image's length (8 bytes, big-endian), the state's image, zero padding to whole blocks. */
export function snapshotFile(core: StoreCore): Buffer {
  const image = core.state.snapshot();
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(image.length));
  const used = SNAPSHOT_MAGIC.length + length.length + image.length;
  const pad = Buffer.alloc((SNAPSHOT_BLOCK_BYTES - (used % SNAPSHOT_BLOCK_BYTES)) % SNAPSHOT_BLOCK_BYTES);
  return Buffer.concat([SNAPSHOT_MAGIC, length, image, pad]);
}

/** sendSnapshot streams the image in chunks (remaining_bytes counting down to 0), then one
 *  message holding the SHA-256 of everything sent, as etcd 3.4 does. */
function sendSnapshot(core: StoreCore, call: ServerWritableStream<SnapshotRequest, SnapshotResponse>): void {
  let image: Buffer;
  try {
    image = snapshotFile(core);
  } catch (err) {
    const s = statusOf(err);
    call.emit('error', { code: s.code ?? status.INTERNAL, details: s.details });
    return;
  }
  const sha = createHash('sha256').update(image).digest();
  let offset = 0;
  const pump = (): void => {
    while (offset < image.length) {
      const end = Math.min(image.length, offset + SNAPSHOT_CHUNK_BYTES);
      const blob = image.subarray(offset, end);
      offset = end;
      const more = call.write({ remainingBytes: BigInt(image.length - offset), blob });
      if (!more) {
        call.once('drain', pump);
        return;
      }
    }
    call.write({ remainingBytes: 0n, blob: sha });
    call.end();
  };
  pump();
}
