/**
 * The etcd Lease service. Grants and revokes go through the log; keep-alives and time-to-live
 * are answered by the leader's Lessor (a follower forwards them to the leader over the peer
 * port's StoreInternalService, as etcd forwards them over its peer API).
 */
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesRequest,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseServer,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
} from '../../gen/etcdserverpb/rpc.js';
import type { StoreInternalServiceServer } from '../../gen/k8ts/store/v1/internal.js';
import { ETCD_LIMITS, etcdErrors } from '../errors.js';
import { statusOf } from './errors.js';
import type { Lessor } from './lessor.js';
import type { LeaseInfo } from '../types.js';
import { traceOf, type StoreCore } from './store-core.js';
import { serve } from './unary.js';

/** LeaseDeps: what the lease service needs beyond the core. */
export interface LeaseDeps {
  core: StoreCore;
  lessor: Lessor;
  nowMs(): number;
  /** Shortest TTL granted, in seconds (etcd: 1.5 election timeouts, rounded up). */
  minTTLSeconds: number;
  /** newLeaseId picks an id for a grant that named none (unique per member and run). */
  newLeaseId(): bigint;
  /** The leader's internal API, or undefined while no leader is known. */
  leader(): LeaderLeaseApi | undefined;
}

/** LeaderLeaseApi is the leader-side lease answers a follower forwards to. */
export interface LeaderLeaseApi {
  renew(req: LeaseKeepAliveRequest): Promise<LeaseKeepAliveResponse>;
  remaining(req: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse>;
}

/** Bound on keep-alive requests one stream may have in flight (forwarded to the leader). */
const MAX_INFLIGHT_KEEPALIVES = 64;

export function leaseService(d: LeaseDeps): LeaseServer {
  const { core } = d;
  return {
    leaseGrant: serve<LeaseGrantRequest, LeaseGrantResponse>(async (req, call) => {
      core.requireLeader(call);
      if (req.TTL > BigInt(ETCD_LIMITS.maxLeaseTTL)) throw etcdErrors.leaseTTLTooLarge();
      const ttl = req.TTL < BigInt(d.minTTLSeconds) ? BigInt(d.minTTLSeconds) : req.TTL;
      const ID = req.ID !== 0n ? req.ID : d.newLeaseId();
      const op = { $case: 'leaseGrant' as const, value: { TTL: ttl, ID } };
      return core.write<LeaseGrantResponse>(op, traceOf(call));
    }),
    leaseRevoke: serve<LeaseRevokeRequest, LeaseRevokeResponse>(async (req, call) => {
      core.requireLeader(call);
      return core.write<LeaseRevokeResponse>({ $case: 'leaseRevoke', value: req }, traceOf(call));
    }),
    leaseKeepAlive: (stream) => keepAliveStream(d, stream),
    leaseTimeToLive: serve<LeaseTimeToLiveRequest, LeaseTimeToLiveResponse>(async (req, call) => {
      core.requireLeader(call);
      return timeToLive(d, req);
    }),
    leaseLeases: serve<LeaseLeasesRequest, LeaseLeasesResponse>(async (_req, call) => {
      core.requireLeader(call);
      return { header: core.header(), leases: core.state.leases().map((l) => ({ ID: l.id })) };
    }),
  };
}

/** internalLeaseService is the leader's side of forwarded keep-alives and TTL queries. */
export function internalLeaseService(d: LeaseDeps): StoreInternalServiceServer {
  return {
    leaseRenew: serve(async (req) => ({ response: renewHere(d, req.request?.ID ?? 0n) })),
    leaseRemaining: serve(async (req) => ({ response: remainingHere(d, req.request ?? { ID: 0n, keys: false }) })),
  };
}

function renewHere(d: LeaseDeps, id: bigint): LeaseKeepAliveResponse {
  if (!d.lessor.isPrimary()) throw etcdErrors.notLeader();
  return { header: d.core.header(), ID: id, TTL: BigInt(d.lessor.renew(id, d.nowMs())) };
}

function remainingHere(d: LeaseDeps, req: LeaseTimeToLiveRequest): LeaseTimeToLiveResponse {
  if (!d.lessor.isPrimary()) throw etcdErrors.notLeader();
  // The keys only when asked: listing them sorts all of them (an Events lease has thousands).
  const lease: (LeaseInfo & { keys?: Buffer[] }) | undefined = req.keys ? d.core.state.lease(req.ID) : d.core.state.leaseInfo(req.ID);
  if (lease === undefined) return { header: d.core.header(), ID: req.ID, TTL: -1n, grantedTTL: 0n, keys: [] };
  return {
    header: d.core.header(),
    ID: req.ID,
    TTL: BigInt(d.lessor.remainingSeconds(req.ID, d.nowMs())),
    grantedTTL: BigInt(lease.ttl),
    keys: lease.keys ?? [],
  };
}

async function renew(d: LeaseDeps, req: LeaseKeepAliveRequest): Promise<LeaseKeepAliveResponse> {
  if (d.lessor.isPrimary()) return renewHere(d, req.ID);
  const leader = d.leader();
  if (leader === undefined) throw etcdErrors.noLeader();
  const res = await leader.renew(req);
  return { ...res, header: d.core.header() };
}

async function timeToLive(d: LeaseDeps, req: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> {
  if (d.lessor.isPrimary()) return remainingHere(d, req);
  const leader = d.leader();
  if (leader === undefined) throw etcdErrors.noLeader();
  const res = await leader.remaining(req);
  return { ...res, header: d.core.header() };
}

/** keepAliveStream answers each keep-alive in order; the first failure ends the stream with
 *  etcd's status (clientv3 then re-opens it). */
function keepAliveStream(d: LeaseDeps, stream: ServerDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>): void {
  let chain = Promise.resolve();
  let inflight = 0;
  let done = false;
  const fail = (err: unknown): void => {
    if (done) return;
    done = true;
    const s = statusOf(err);
    stream.emit('error', { code: s.code ?? status.INTERNAL, details: s.details, metadata: s.metadata });
  };
  try {
    d.core.requireLeader(stream);
  } catch (err) {
    fail(err);
    return;
  }
  stream.on('data', (req: LeaseKeepAliveRequest) => {
    if (done) return;
    if (++inflight > MAX_INFLIGHT_KEEPALIVES) {
      fail(etcdErrors.tooManyRequests());
      return;
    }
    chain = chain.then(async () => {
      try {
        const res = await renew(d, req);
        if (!done) stream.write(res);
      } catch (err) {
        fail(err);
      } finally {
        inflight--;
      }
    });
  });
  stream.on('end', () => {
    void chain.then(() => {
      if (!done) {
        done = true;
        stream.end();
      }
    });
  });
  stream.on('error', () => {
    done = true;
  });
}
