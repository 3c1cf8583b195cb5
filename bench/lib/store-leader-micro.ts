/**
 * store-leader-micro: the CPU a store leader spends per Put between the gRPC layer and its
 * answer, without HTTP/2 or the network: the request's decode (the KV service definition's
 * deserializer, from the request's bytes), the KV service's put handler (validate, encode the
 * StoreRequest, propose), the Raft node (proposal queue, core, Ready, memory storage), the apply
 * (decode, MVCC, watch hub publish) and the answer (header, and the definition's serializer,
 * as the lean server serializes it). One voter, so each process() commits what it proposed — the leader's
 * own per-put work at a group commit of `batch` Puts, measured as process CPU time (so it
 * survives a loaded machine). Followers' per-entry work is measured by store-apply-micro.
 *
 *   node --import tsx bench/lib/store-leader-micro.ts [puts=100000] [rounds=5] [batch=56]
 *
 * Each round also prints the GC pauses it had (young and other, per 1,000 Puts, from perf_hooks;
 * wall time, so read them on a quiet machine or as counts) — the store keeps every Put, so what
 * survives a young GC grows with the Puts as it does on a real leader. LEADER_MICRO_ALLOC=1 runs
 * V8's sampling heap profiler over the measured rounds and prints the bytes allocated per Put by
 * stage and function (store-alloc-prof.ts's printAlloc); node flags to try go before --import
 * (e.g. `node --max-semi-space-size=32 --import tsx ...`).
 */
import { Session } from 'node:inspector';
import { PerformanceObserver } from 'node:perf_hooks';
import { Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { systemClock } from '../../src/base/clock.js';
import { Prng } from '../../src/base/prng.js';
import { PutRequest, type PutResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { MemoryStorage } from '../../src/raft/core/memory-storage.js';
import { RaftNode } from '../../src/raft/node.js';
import { MvccState } from '../../src/store/apply/state.js';
import { KV_SERVICE, kvService } from '../../src/store/server/kv-service.js';
import { StoreCore } from '../../src/store/server/store-core.js';
import { StoreLog } from '../../src/store/server/store-log.js';
import { driveWatchHub } from '../../src/store/watch/driver.js';
import { printAlloc, type HeapNode } from './store-alloc-prof.js';

const VALUE = Buffer.alloc(256, 0x61);

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** GC pauses seen since the last reset: [young count, young ms, other count, other ms, max ms]. */
const gc = [0, 0, 0, 0, 0];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const young = (e as { detail?: { kind?: number } }).detail?.kind === 1;
    gc[young ? 0 : 2]!++;
    gc[young ? 1 : 3]! += e.duration;
    gc[4] = Math.max(gc[4]!, e.duration);
  }
}).observe({ entryTypes: ['gc'] });

/** Round: the leader's CPU per Put and the GC pauses of the round. */
interface Round { us: number; gc: number[] }

async function round(puts: number, batch: number, base: number, session?: Session): Promise<Round> {
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
  const bodies: Buffer[] = [];
  for (let i = 0; i < puts; i++) {
    const request: PutRequest = {
      key: Buffer.from(`/bench/put-c256/${base + i}`, 'latin1'), value: VALUE,
      lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false,
    };
    bodies.push(Buffer.from(PutRequest.encode(request).finish()));
  }
  const { requestDeserialize, responseSerialize } = KV_SERVICE.put;
  let answered = 0;
  let bytes = 0;
  const cb: sendUnaryData<PutResponse> = (err, res) => {
    if (err) throw new Error(`put failed: ${String((err as { code?: number }).code)} ${String((err as { details?: string }).details)}`);
    bytes += responseSerialize(res!).length;
    answered++;
  };
  await tick(); // the GC entries of the setup arrive before the reset
  gc.fill(0);
  session?.post('HeapProfiler.startSampling', {
    samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true,
  });
  const t0 = cpuUs();
  for (let i = 0; i < puts; i += batch) {
    const end = Math.min(puts, i + batch);
    for (let j = i; j < end; j++) {
      const request = requestDeserialize(bodies[j]!);
      put({ request, metadata } as ServerUnaryCall<PutRequest, PutResponse>, cb);
    }
    while (node.hasWork()) node.process();
    await tick();
  }
  const us = cpuUs() - t0;
  session?.post('HeapProfiler.stopSampling', (err, res) => {
    if (err !== null) throw err;
    console.log(`allocation in a measured round (sampled; printed before the CPU figures):`);
    printAlloc((res as { profile: { head: HeapNode } }).profile.head, puts);
  });
  await tick();
  const pauses = [...gc];
  if (answered !== puts || bytes === 0) throw new Error(`${answered} of ${puts} answered`);
  watch.stop();
  node.stop();
  return { us: us / puts, gc: pauses };
}

function gcLine(r: Round, puts: number): string {
  const [yn, yms, on, oms, max] = r.gc as [number, number, number, number, number];
  const k = 1000 / puts;
  return `young ${(yn * k).toFixed(2)}/1k puts ${(yms * k).toFixed(2)} ms/1k, ` +
    `other ${(on * k).toFixed(2)}/1k ${(oms * k).toFixed(2)} ms/1k, max ${max.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const puts = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 5);
  const batch = Number(process.argv[4] ?? 56);
  await round(Math.min(puts, 30_000), batch, 1e9); // warm-up: JIT
  // The allocation sampler (LEADER_MICRO_ALLOC=1) runs in the last round's measured loop only:
  // it slows what it samples, and the setup's allocations are not the leader's.
  const session = process.env.LEADER_MICRO_ALLOC === '1' ? new Session() : undefined;
  session?.connect();
  session?.post('HeapProfiler.enable');
  const per: Round[] = [];
  for (let r = 0; r < rounds; r++) per.push(await round(puts, batch, r * puts, r === rounds - 1 ? session : undefined));
  const sorted = per.map((x) => x.us).sort((a, b) => a - b);
  console.log(`leader CPU µs/put (handler → raft → apply → answer), batch ${batch}: median ` +
    `${sorted[sorted.length >> 1]!.toFixed(2)}  (${per.map((x) => x.us.toFixed(2)).join(' ')})`);
  for (const [i, r] of per.entries()) console.log(`  round ${i + 1} GC: ${gcLine(r, puts)}`);
  process.exit(0);
}

void main();
