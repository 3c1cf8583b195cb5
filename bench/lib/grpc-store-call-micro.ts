/**
 * grpc-store-call-micro: the store client's CPU per unary call (src/store/client over
 * src/rpc/h2-client.ts), measured in a client process of its own, for several checkouts of k8ts
 * alternately (e.g. the session's base and HEAD worktrees). A real 3-member k8ts store (peer ports
 * from 33400, clients from 33450); each round forks a client from one checkout, aimed at the
 * leader, which makes `ops` operations 16 in flight, each a Txn as the API server creates an
 * object (if the key's modRevision is 0 Put a 3,500-byte value, else Get it back: the request
 * carries the value either way) and a Get (a Range) of that key, and reports its process CPU (process.cpuUsage) per call. The client's share only: the store's CPU is not counted.
 *
 *   node --import tsx bench/lib/grpc-store-call-micro.ts <root>[,<root>...] [rounds=6] [ops=4000]
 *
 * GRPC_CALL_MICRO_PROF_DIR=<dir>: each client writes a V8 CPU profile there (--cpu-prof).
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { K8tsStore, waitReady } from './store-systems.js';

interface TxnLike {
  if(...c: unknown[]): TxnLike;
  success(...o: unknown[]): TxnLike;
  failure(...o: unknown[]): TxnLike;
  commit(): Promise<unknown>;
}
interface ClientLike {
  txn(): TxnLike;
  get(key: string): Promise<unknown>;
  close(): void;
}
interface ClientModule {
  EtcdClient: new (o: { endpoints: string[] }) => ClientLike;
  compare: { modRevision(key: string, op: string, rev: number): unknown };
  op: { put(key: string, v: Buffer): unknown; get(key: string): unknown };
}

const VALUE = Buffer.alloc(3_500, 'v');
const IN_FLIGHT = 16;

async function client(root: string, endpoint: string, ops: number): Promise<void> {
  const mod = (await import(pathToFileURL(join(root, 'src/store/client/index.ts')).href)) as ClientModule;
  const c = new mod.EtcdClient({ endpoints: [endpoint] });
  const { compare, op } = mod;
  const run = async (n: number): Promise<void> => {
    let next = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = next++; i < n; i = next++) {
        const key = `/call-micro/${i % 1000}`;
        await c.txn().if(compare.modRevision(key, '=', 0)).success(op.put(key, VALUE)).failure(op.get(key)).commit();
        await c.get(key);
      }
    }));
  };
  await run(1000);
  const c0 = process.cpuUsage();
  await run(ops);
  const cpu = process.cpuUsage(c0);
  process.send!((cpu.user + cpu.system) / (2 * ops));
  c.close();
  process.disconnect();
}

async function main(): Promise<void> {
  const roots = (process.argv[2] ?? '').split(',').filter((r) => r !== '');
  if (roots.length === 0) throw new Error('usage: grpc-store-call-micro.ts <root>[,<root>...] [rounds] [ops]');
  const rounds = Number(process.argv[3] ?? 6);
  const ops = Number(process.argv[4] ?? 4_000);
  const store = new K8tsStore(3, undefined, 33400);
  await store.start();
  const results = new Map<string, number[]>(roots.map((r) => [r, []]));
  try {
    const roles = await waitReady(store);
    const endpoint = store.endpoints[roles.leader]!.address;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? roots : [...roots].reverse();
      for (const root of order) {
        const prof = process.env.GRPC_CALL_MICRO_PROF_DIR;
        const execArgv = ['--import', 'tsx', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])];
        const child = fork(fileURLToPath(import.meta.url), ['client', root, endpoint, String(ops)], { execArgv });
        const exited = new Promise((r) => child.once('exit', r));
        const us = await Promise.race([
          new Promise<number>((r) => child.once('message', (m) => r(m as number))),
          exited.then(() => Promise.reject(new Error(`client from ${root} exited without a figure`))),
        ]);
        await exited;
        results.get(root)!.push(us);
        console.log(`round ${round} ${root}: ${us.toFixed(1)} µs client CPU per call`);
      }
    }
  } finally {
    await store.stop();
  }
  for (const [root, xs] of results) {
    const sorted = [...xs].sort((a, b) => a - b);
    console.log(`${root}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs per call (${xs.map((x) => x.toFixed(1)).join(' ')})`);
  }
}

if (process.argv[2] === 'client') await client(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
else await main();
