/**
 * StoreEndpoint is the store benchmark's only way to talk to a system under test: etcd's v3 gRPC
 * API through the generated grpc-js clients (src/gen/etcdserverpb), with KV, Watch and
 * Maintenance sharing ONE channel — one HTTP/2 connection per endpoint, as etcd's clientv3 and the
 * reference load generator use. k8ts and etcd get byte-identical requests from the same code, so
 * client cost is the same on both sides of every ratio.
 *
 * No keepalive pings: etcd 3.4 answers pings on idle connections more often than every 5 s with
 * GOAWAY (too_many_pings), which would reconnect mid-suite on one system only.
 *
 * K8TS_BENCH_STORE_CLIENT=h2 makes the Puts and Ranges with k8ts's own unary client instead
 * (H2Channel + h2Unary, src/rpc/h2-client*.ts: what the API server's storage layer uses against
 * either store), still one HTTP/2 connection per endpoint and the same bytes on the wire for both
 * systems. grpc-js costs the load generator ~100 µs of CPU per Put, as much as all three members
 * together; on 2 cores that client share sits in the denominator of both systems' throughput and
 * pulls every ratio towards 1.
 */
import * as grpc from '@grpc/grpc-js';
import {
  KVClient,
  KVService,
  MaintenanceClient,
  RangeRequest,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
  WatchClient,
  type PutRequest,
  type StatusResponse,
} from '../../src/gen/etcdserverpb/rpc.js';
import { h2Unary, type H2Method } from '../../src/rpc/h2-client-call.js';
import { H2Channel } from '../../src/rpc/h2-client.js';

/** Which client makes the suite's Puts and Ranges (see the file comment). */
export const STORE_BENCH_CLIENT: 'grpc-js' | 'h2' =
  process.env.K8TS_BENCH_STORE_CLIENT === 'h2' ? 'h2' : 'grpc-js';

/** The h2 client's keepalive: in effect none (as the grpc-js channel here), see above. */
const NO_PINGS = { timeMs: 2 * 60 * 60 * 1000, timeoutMs: 20_000, withoutCalls: false };

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Deadline of every benchmark request: no request waits longer than this. */
export const REQUEST_DEADLINE_MS = 5_000;

export class StoreEndpoint {
  readonly channel: grpc.Channel;
  readonly kv: KVClient;
  readonly watch: WatchClient;
  readonly maint: MaintenanceClient;
  /** The Puts' and Ranges' channel when STORE_BENCH_CLIENT is h2. */
  readonly h2: H2Channel | undefined;

  constructor(readonly address: string) {
    if (STORE_BENCH_CLIENT === 'h2') this.h2 = new H2Channel({ target: address, keepalive: NO_PINGS });
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
    if (this.h2 !== undefined) {
      return unaryOnH2(this.h2, KVService.put, req, deadlineMs).then((res) => res.header?.revision ?? 0n);
    }
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
    if (this.h2 !== undefined) {
      return unaryOnH2(this.h2, KVService.range, req, deadlineMs).then((res) => res.kvs.length);
    }
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
    this.h2?.close();
    this.kv.close();
    this.watch.close();
    this.maint.close();
    this.channel.close();
  }
}

/** unaryOnH2 makes one call on ch, connecting first when it is not connected yet. */
function unaryOnH2<Req, Res>(ch: H2Channel, method: H2Method<Req, Res>, req: Req, deadlineMs: number): Promise<Res> {
  const call = (): Promise<Res> => new Promise((resolve, reject) => {
    h2Unary(ch, method, req, undefined, deadlineMs, (err, res) => (err ? reject(err) : resolve(res!)));
  });
  return ch.isReady() ? call() : ch.ready(deadlineMs).then(call);
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
