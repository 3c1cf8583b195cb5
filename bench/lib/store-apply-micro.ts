/**
 * store-apply-micro: the CPU one member spends per Put outside HTTP/2 and the network, split into
 * the steps every Put takes, measured in one process as CPU time (process.cpuUsage, so it
 * survives a loaded machine): what a leader does before proposing (validate, encode the
 * StoreRequest), what every member does per committed entry (decode, validate, MVCC apply, the
 * watch hub's publish — wired as StoreMember wires them), and the answer a leader builds (header,
 * PutResponse encode). Keys and values as the store benchmark's Puts: distinct keys, 256-byte
 * values, applied in batches the size of a leader's group commit at 256 in flight.
 *
 *   node --import tsx bench/lib/store-apply-micro.ts [puts=200000] [rounds=5] [batch=56]
 */
import { systemClock } from '../../src/base/clock.js';
import { PutResponse, type PutRequest } from '../../src/gen/etcdserverpb/rpc.js';
import { MvccState } from '../../src/store/apply/state.js';
import { validateRequest } from '../../src/store/apply/validate.js';
import { encodeRequest } from '../../src/store/server/request-encode.js';
import { StoreLog } from '../../src/store/server/store-log.js';
import { driveWatchHub } from '../../src/store/watch/driver.js';

const VALUE = Buffer.alloc(256, 0x61);

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

interface Step { name: string; us: number }

function round(puts: number, batch: number, base: number): Step[] {
  const state = new MvccState();
  const watch = driveWatchHub(state, systemClock, { progressIntervalMs: 5_000 });
  state.onRevision = (ev) => watch.hub.publish(ev);
  const log = new StoreLog(state, () => watch.hub.restored());
  const reqs: PutRequest[] = [];
  for (let i = 0; i < puts; i++) {
    reqs.push({
      key: Buffer.from(`/bench/put-c256/${base + i}`, 'latin1'), value: VALUE,
      lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false,
    });
  }
  const steps: Step[] = [];
  let t = cpuUs();
  const data: Buffer[] = [];
  for (const value of reqs) {
    validateRequest({ $case: 'put', value });
    const d = encodeRequest({ trace: undefined, op: { $case: 'put', value } });
    data.push(Buffer.from(d.buffer, d.byteOffset, d.length));
  }
  steps.push({ name: 'leader: validate + encode', us: cpuUs() - t });
  t = cpuUs();
  const outcomes: unknown[] = [];
  for (let i = 0; i < puts; i += batch) {
    const end = Math.min(puts, i + batch);
    for (let j = i; j < end; j++) outcomes.push(log.apply(j + 1, data[j]!));
  }
  steps.push({ name: 'every member: apply (decode, validate, mvcc, publish)', us: cpuUs() - t });
  t = cpuUs();
  let bytes = 0;
  for (const o of outcomes) {
    const res = (o as { response: PutResponse }).response;
    res.header = { clusterId: 7n, memberId: 1n, revision: res.header!.revision, raftTerm: 2n };
    bytes += PutResponse.encode(res).finish().length;
  }
  steps.push({ name: `leader: header + encode answer (${(bytes / puts).toFixed(1)} B)`, us: cpuUs() - t });
  watch.stop();
  return steps;
}

function main(): void {
  const puts = Number(process.argv[2] ?? 200_000);
  const rounds = Number(process.argv[3] ?? 5);
  const batch = Number(process.argv[4] ?? 56);
  round(Math.min(puts, 50_000), batch, 1e9); // warm-up: JIT
  const all: Step[][] = [];
  for (let r = 0; r < rounds; r++) all.push(round(puts, batch, r * puts));
  for (let s = 0; s < all[0]!.length; s++) {
    const per = all.map((st) => st[s]!.us / puts).sort((a, b) => a - b);
    console.log(`${all[0]![s]!.name.padEnd(60)} µs/put median ${per[per.length >> 1]!.toFixed(2)}  (${per.map((x) => x.toFixed(2)).join(' ')})`);
  }
  process.exit(0);
}

main();
