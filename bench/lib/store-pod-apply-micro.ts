/**
 * store-pod-apply-micro: what one member spends per API-server write of a pod outside HTTP/2 and
 * Raft, in one process as CPU time (process.cpuUsage, so it survives a loaded machine). The
 * writes are a burst's: per pod a create Txn (mod_revision = 0 → put), three update Txns (bind,
 * two statuses: mod_revision = rev → put, else get), 4–7 KB of JSON each, with a trace context,
 * applied in group-commit batches; the hub holds the watches of `servers` API servers, each a
 * prefix watch per resource (`resources` of them, as their watch caches do), the pods one with
 * prev_kv off. Steps: every member's apply (decode, validate, MVCC, publish to the hub), then the
 * watch delivery of the serving member (take each stream's responses, encode them as the Watch
 * service does). Compare with the apiserver-pod micro's store CPU per pod (4 writes + 4 Events).
 *
 *   node --import tsx bench/lib/store-pod-apply-micro.ts [pods=2000] [rounds=5] [servers=3] [resources=30] [batch=16]
 */
import { systemClock } from '../../src/base/clock.js';
import type { TxnRequest, WatchResponse } from '../../src/gen/etcdserverpb/rpc.js';
import { Compare_CompareResult, Compare_CompareTarget } from '../../src/gen/etcdserverpb/rpc.js';
import { MvccState } from '../../src/store/apply/state.js';
import { encodeRequest } from '../../src/store/server/request-encode.js';
import { StoreLog } from '../../src/store/server/store-log.js';
import { driveWatchHub } from '../../src/store/watch/driver.js';
import type { WatchStream } from '../../src/store/watch/hub.js';
import { encodeWatchResponse } from '../../src/store/watch/response-codec.js';

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const TRACE = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: '' };

/** podJson: a pod object of about `bytes` bytes, as the API server stores it (JSON). */
function podJson(name: string, bytes: number): Buffer {
  const obj = { kind: 'Pod', apiVersion: 'v1', metadata: { name, namespace: 'bench', uid: `${name}-uid` }, spec: {}, pad: '' };
  const base = JSON.stringify(obj).length;
  obj.pad = 'x'.repeat(Math.max(0, bytes - base));
  return Buffer.from(JSON.stringify(obj));
}

function txn(key: Buffer, value: Buffer, modRevision: bigint): TxnRequest {
  const put = { key, value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
  return {
    compare: [{ result: Compare_CompareResult.EQUAL, target: Compare_CompareTarget.MOD, key, rangeEnd: Buffer.alloc(0),
      targetUnion: { $case: 'modRevision', value: modRevision } }],
    success: [{ request: { $case: 'requestPut', value: put } }],
    failure: modRevision === 0n ? [] : [{ request: { $case: 'requestRange', value: {
      key, rangeEnd: Buffer.alloc(0), limit: 0n, revision: 0n, sortOrder: 0, sortTarget: 0, serializable: false,
      keysOnly: false, countOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n } } }],
  };
}

interface Step { name: string; us: number }

function round(pods: number, servers: number, resources: number, batch: number, base: number): Step[] {
  const state = new MvccState();
  const watch = driveWatchHub(state, systemClock, { progressIntervalMs: 5_000 });
  state.onRevision = (ev) => watch.hub.publish(ev);
  const log = new StoreLog(state, () => watch.hub.restored());
  const streams: WatchStream[] = [];
  for (let s = 0; s < servers; s++) {
    const stream = watch.hub.openStream({ requireLeader: true, wake: () => undefined });
    for (let r = 0; r < resources; r++) {
      const prefix = r === 0 ? '/registry/pods/' : `/registry/res${r}/`;
      const key = Buffer.from(prefix);
      const rangeEnd = Buffer.from(prefix.slice(0, -1) + '0');
      stream.handle({ requestUnion: { $case: 'createRequest', value: { key, rangeEnd, startRevision: 0n,
        progressNotify: true, filters: [], prevKv: false, watchId: 0n, fragment: false } } });
    }
    while (stream.take() !== undefined); // the created answers
    streams.push(stream);
  }
  // Encoded entries first (the proposer's work, not measured here): create, then 3 updates.
  const entries: Buffer[] = [];
  let rev = state.revision();
  for (let p = 0; p < pods; p++) {
    const name = `pod-${base + p}`;
    const key = Buffer.from(`/registry/pods/bench/${name}`);
    for (let w = 0; w < 4; w++) {
      const mod = w === 0 ? 0n : BigInt(rev);
      rev++;
      const d = encodeRequest({ trace: TRACE, op: { $case: 'txn', value: txn(key, podJson(name, 4000 + 1000 * w), mod) } });
      entries.push(Buffer.from(d.buffer, d.byteOffset, d.length));
    }
  }
  // Writes arrive per pod stage across pods; apply them in that order, as a burst's stages.
  const order: number[] = [];
  for (let w = 0; w < 4; w++) for (let p = 0; p < pods; p++) order.push(p * 4 + w);
  // An update's compare needs the pod's revision as applied: updates are encoded as they go
  // (outside the measured apply), creates were encoded above.
  const steps = { apply: 0, deliver: 0 };
  let index = state.appliedIndex();
  const lastRev = new Map<number, number>();
  let bytes = 0;
  for (let i = 0; i < order.length; i += batch) {
    for (let j = i; j < Math.min(order.length, i + batch); j++) {
      const e = order[j]!;
      const p = Math.floor(e / 4);
      const w = e % 4;
      let data = entries[e]!;
      if (w > 0) {
        const name = `pod-${base + p}`;
        const key = Buffer.from(`/registry/pods/bench/${name}`);
        const d = encodeRequest({ trace: TRACE, op: { $case: 'txn', value: txn(key, podJson(name, 4000 + 1000 * w), BigInt(lastRev.get(p) ?? 0)) } });
        data = Buffer.from(d.buffer, d.byteOffset, d.length);
      }
      const t0 = cpuUs();
      const out = log.apply(++index, data);
      steps.apply += cpuUs() - t0;
      if ('error' in out) throw out.error;
      lastRev.set(p, state.revision());
    }
    const t = cpuUs();
    for (const s of streams) {
      for (let r: WatchResponse | undefined = s.take(); r !== undefined; r = s.take()) {
        r.header = { clusterId: 7n, memberId: 1n, revision: r.header?.revision ?? 0n, raftTerm: 2n };
        bytes += encodeWatchResponse(r).length;
      }
    }
    steps.deliver += cpuUs() - t;
  }
  watch.stop();
  for (const s of streams) s.close();
  const writes = pods * 4;
  return [
    { name: 'every member: apply (decode, validate, txn, mvcc, publish)', us: steps.apply / writes },
    { name: `serving member: take + encode watch responses (${(bytes / writes / servers).toFixed(0)} B/write/server)`, us: steps.deliver / writes },
  ];
}

function main(): void {
  const pods = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 5);
  const servers = Number(process.argv[4] ?? 3);
  const resources = Number(process.argv[5] ?? 30);
  const batch = Number(process.argv[6] ?? 16);
  round(Math.min(pods, 500), servers, resources, batch, 1e6); // warm-up: JIT
  const all: Step[][] = [];
  for (let r = 0; r < rounds; r++) all.push(round(pods, servers, resources, batch, r * pods));
  for (let s = 0; s < all[0]!.length; s++) {
    const per = all.map((st) => st[s]!.us).sort((a, b) => a - b);
    console.log(`${all[0]![s]!.name.padEnd(72)} µs/write median ${per[per.length >> 1]!.toFixed(1)}  (${per.map((x) => x.toFixed(1)).join(' ')})`);
  }
  process.exit(0);
}

main();
