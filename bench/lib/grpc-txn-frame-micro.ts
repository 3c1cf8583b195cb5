/**
 * grpc-txn-frame-micro: the CPU to turn an API server's create Txn (compare modRevision = 0, Put
 * of a `size`-byte value, 3,500 by default: a burst pod's JSON) into one framed gRPC request, as
 * h2-call.ts's encodeMessage does it: 'copy' encodes it (encodeTxnRequest) and frames it into a
 * second buffer (frameMessage), 'framed' encodes it behind its prefix in one buffer
 * (encodeTxnFramed). In-process, modes alternating per round; µs per request.
 *
 *   node --import tsx bench/lib/grpc-txn-frame-micro.ts [rounds=8] [n=100000] [size=3500]
 */
import { frameMessage } from '../../src/rpc/fast-unary-frame.js';
import { compare, op, txnRequest } from '../../src/store/client/txn.js';
import { encodeTxnFramed, encodeTxnRequest } from '../../src/store/client/txn-encode.js';
import type { TxnRequest } from '../../src/gen/etcdserverpb/rpc.js';

const rounds = Number(process.argv[2] ?? 8);
const n = Number(process.argv[3] ?? 100_000);
const size = Number(process.argv[4] ?? 3_500);
const key = '/registry/pods/burst/pod-0001';
const t: TxnRequest = txnRequest([compare.modRevision(key, '=', 0)], [op.put(key, Buffer.alloc(size, 'p'))], []);
let sink = 0;
const modes: Record<string, () => Buffer> = {
  copy: () => frameMessage(encodeTxnRequest(t)),
  framed: () => encodeTxnFramed(t),
};
const results: Record<string, number[]> = { copy: [], framed: [] };
for (let r = 0; r < rounds; r++) {
  for (const mode of r % 2 === 0 ? ['copy', 'framed'] : ['framed', 'copy']) {
    const f = modes[mode]!;
    for (let i = 0; i < n / 10; i++) sink += f().length;
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) sink += f().length;
    const cpu = process.cpuUsage(c0);
    results[mode]!.push((cpu.user + cpu.system) / n);
  }
}
for (const [mode, xs] of Object.entries(results)) {
  const sorted = [...xs].sort((a, b) => a - b);
  console.log(`${mode}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(3)} µs per request (${xs.map((x) => x.toFixed(3)).join(' ')})`);
}
if (sink === 0) console.log('unreachable');
