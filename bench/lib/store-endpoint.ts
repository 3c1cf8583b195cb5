/**
 * StoreEndpoint is the store benchmark's only way to talk to a system under test: etcd's v3 gRPC
 * API through the generated grpc-js clients (src/gen/etcdserverpb), with KV, Watch and
 * Maintenance sharing ONE channel — one HTTP/2 connection per endpoint, as etcd's clientv3 and the
 * reference load generator use. k8ts and etcd get byte-identical requests from the same code, so
 * client cost is the same on both sides of every ratio.
 *
 * No keepalive pings: etcd 3.4 answers pings on idle connections more often than every 5 s with
 * GOAWAY (too_many_pings), which would reconnect mid-suite on one system only.
 */
import * as grpc from '@grpc/grpc-js';
import {
  KVClient,
  MaintenanceClient,
  RangeRequest,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
  WatchClient,
  type PutRequest,
  type StatusResponse,
} from '../../src/gen/etcdserverpb/rpc.js';

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Deadline of every benchmark request: no request waits longer than this. */
export const REQUEST_DEADLINE_MS = 5_000;

export class StoreEndpoint {
  readonly channel: grpc.Channel;
  readonly kv: KVClient;
  readonly watch: WatchClient;
  readonly maint: MaintenanceClient;

  constructor(readonly address: string) {
    const options: grpc.ChannelOptions = {
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.use_local_subchannel_pool': 1,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    };
    const creds = grpc.credentials.createInsecure();
    this.channel = new grpc.Channel(address, creds, options);
    const shared = { channelOverride: this.channel };
    this.kv = new KVClient(address, creds, shared);
    this.watch = new WatchClient(address, creds, shared);
    this.maint = new MaintenanceClient(address, creds, shared);
  }

  /** put writes one key; resolves with the revision the store gave it. */
  put(key: Buffer, value: Buffer, deadlineMs = REQUEST_DEADLINE_MS): Promise<bigint> {
    const req: PutRequest = { key, value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
    return new Promise((resolve, reject) => {
      this.kv.put(req, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => {
        if (err) reject(err);
        else resolve(res.header?.revision ?? 0n);
      });
    });
  }

  /** get reads one key (linearizable unless serializable); resolves with the number of kvs. */
  get(key: Buffer, serializable: boolean, deadlineMs = REQUEST_DEADLINE_MS): Promise<number> {
    const req: RangeRequest = { ...RANGE_TEMPLATE, key, serializable };
    return new Promise((resolve, reject) => {
      this.kv.range(req, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => {
        if (err) reject(err);
        else resolve(res.kvs.length);
      });
    });
  }

  /** status is Maintenance/Status, or undefined when the endpoint does not answer in time. */
  status(deadlineMs: number): Promise<StatusResponse | undefined> {
    return new Promise((resolve) => {
      this.maint.status({}, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => {
        resolve(err ? undefined : res);
      });
    });
  }

  close(): void {
    this.kv.close();
    this.watch.close();
    this.maint.close();
    this.channel.close();
  }
}

const RANGE_TEMPLATE: RangeRequest = {
  ...RangeRequest.fromPartial({}),
  sortOrder: RangeRequest_SortOrder.NONE,
  sortTarget: RangeRequest_SortTarget.KEY,
};

/** Roles is who leads, as every answering endpoint reports it (Maintenance/Status). */
export interface Roles {
  leader: number;
  followers: number[];
}

/**
 * roles finds the leader among endpoints: the endpoint whose own member id is the leader id. All
 * answering endpoints must agree (no election in progress) and all must answer.
 */
export async function roles(endpoints: readonly StoreEndpoint[], deadlineMs = 500): Promise<Roles | undefined> {
  const answers = await Promise.all(endpoints.map((e) => e.status(deadlineMs)));
  if (answers.some((a) => a === undefined || a.leader === 0n)) return undefined;
  const leaderIds = new Set(answers.map((a) => a!.leader));
  if (leaderIds.size !== 1) return undefined;
  const leader = answers.findIndex((a) => a!.header?.memberId === a!.leader);
  if (leader < 0) return undefined;
  return { leader, followers: endpoints.map((_, i) => i).filter((i) => i !== leader) };
}
