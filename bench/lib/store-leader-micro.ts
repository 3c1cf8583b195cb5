/**
 * store-leader-micro: the CPU a store leader spends per Put between the gRPC layer and its
 * answer, without HTTP/2 or the network: the KV service's put handler (validate, encode the
 * StoreRequest, propose), the Raft node (proposal queue, core, Ready, memory storage), the apply
 * (decode, MVCC, watch hub publish) and the answer (header, PutResponse encode, as the lean
 * server serializes it). One voter, so each process() commits what it proposed — the leader's
 * own per-put work at a group commit of `batch` Puts, measured as process CPU time (so it
 * survives a loaded machine). Followers' per-entry work is measured by store-apply-micro.
 *
 *   node --import tsx bench/lib/store-leader-micro.ts [puts=100000] [rounds=5] [batch=56]
 */
import { Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { systemClock } from '../../src/base/clock.js';
import { Prng } from '../../src/base/prng.js';
import { PutResponse, type PutRequest } from '../../src/gen/etcdserverpb/rpc.js';
import { MemoryStorage } from '../../src/raft/core/memory-storage.js';
import { RaftNode } from '../../src/raft/node.js';
import { MvccState } from '../../src/store/apply/state.js';
import { kvService } from '../../src/store/server/kv-service.js';
import { StoreCore } from '../../src/store/server/store-core.js';
import { StoreLog } from '../../src/store/server/store-log.js';
import { driveWatchHub } from '../../src/store/watch/driver.js';

const VALUE = Buffer.alloc(256, 0x61);

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function round(puts: number, batch: number, base: number): Promise<number> {
  const state = new MvccState();
  const watch = driveWatchHub(state, systemClock, { progressIntervalMs: 5_000 });
  state.onRevision = (ev) => watch.hub.publish(ev);
  const node = new RaftNode({
    config: {
      id: 1, electionTicks: 10, heartbeatTicks: 1, preVote: true, checkQuorum: true,
      maxInflightMsgs: 256, maxSizePerMsgBytes: 1 << 20, maxUncommittedBytes: 1 << 26,
      disableProposalForwarding: false, prng: new Prng(1),
    },
    storage: new MemoryStorage(),
    stateMachine: new StoreLog(state),
    send: () => {}, bootstrapVoters: [1], snapshotEveryEntries: 0,
    keepEntriesAfterSnapshot: 0, requestTimeoutTicks: 1000, maxPendingRequests: 100_000,
    incarnation: 1,
  });
  for (let i = 0; i < 100 && node.leader() !== 1; i++) {
    node.tick();
    while (node.hasWork()) node.process();
  }
  if (node.leader() !== 1) throw new Error('the single voter did not become leader');
  const core = new StoreCore({
    node, state, clusterId: 7n, kick: () => {}, maxRequestBytes: 1.5 * 1024 * 1024, quotaBytes: 8 * 1024 ** 3,
  });
  const put = kvService(core).put;
  const metadata = new Metadata();
  const calls: ServerUnaryCall<PutRequest, PutResponse>[] = [];
  for (let i = 0; i < puts; i++) {
    const request: PutRequest = {
      key: Buffer.from(`/bench/put-c256/${base + i}`, 'latin1'), value: VALUE,
      lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false,
    };
    calls.push({ request, metadata } as ServerUnaryCall<PutRequest, PutResponse>);
  }
  let answered = 0;
  let bytes = 0;
  const cb: sendUnaryData<PutResponse> = (err, res) => {
    if (err) throw new Error(`put failed: ${String((err as { code?: number }).code)} ${String((err as { details?: string }).details)}`);
    bytes += PutResponse.encode(res!).finish().length;
    answered++;
  };
  const t0 = cpuUs();
  for (let i = 0; i < puts; i += batch) {
    const end = Math.min(puts, i + batch);
    for (let j = i; j < end; j++) put(calls[j]!, cb);
    while (node.hasWork()) node.process();
    await tick();
  }
  const us = cpuUs() - t0;
  if (answered !== puts || bytes === 0) throw new Error(`${answered} of ${puts} answered`);
  watch.stop();
  node.stop();
  return us / puts;
}

async function main(): Promise<void> {
  const puts = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 5);
  const batch = Number(process.argv[4] ?? 56);
  await round(Math.min(puts, 30_000), batch, 1e9); // warm-up: JIT
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) per.push(await round(puts, batch, r * puts));
  const sorted = [...per].sort((a, b) => a - b);
  console.log(`leader CPU µs/put (handler → raft → apply → answer), batch ${batch}: median ` +
    `${sorted[sorted.length >> 1]!.toFixed(2)}  (${per.map((x) => x.toFixed(2)).join(' ')})`);
  process.exit(0);
}

void main();
