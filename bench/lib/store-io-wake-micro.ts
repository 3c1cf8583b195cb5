/**
 * store-io-wake-micro: what one crossing between a store member's main thread and its I/O thread
 * (io-thread.ts) costs when load is light, i.e. when every call crosses alone and the thread on
 * the other side sleeps in its event loop. At 1 Put in flight a call crosses twice (request to the
 * main thread, answer back), so the round trip measured here is what the I/O thread adds to a
 * lone Put's latency, on top of the work it moves.
 *
 *   node --import tsx bench/lib/store-io-wake-micro.ts [trips=20000] [rounds=3]
 *
 * Ways, taking turns round by round in one process (the first round of each is warm-up):
 *  - post: a ~300-byte ArrayBuffer transferred each way with postMessage (what io-batch.ts does);
 *  - atomics: the same bytes left in a SharedArrayBuffer, the other side woken by Atomics.notify
 *    while it awaits Atomics.waitAsync (no serialization, no MessagePort dispatch);
 *  - loop: no thread at all, the "answer" on the next setImmediate (the floor of one loop turn).
 * Prints wall µs per round trip (p50 / p99) and process CPU µs per round trip (both threads, user
 * and system).
 */
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const BYTES = 300;

/** Atomics.waitAsync (V8; Node >= 16) is missing from the project's TypeScript lib. */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync.bind(Atomics);

type Way = 'post' | 'atomics' | 'loop';

interface WorkerInit { way: Way; sab?: SharedArrayBuffer }

/** The echo side: answers each ping with the same bytes. */
function runEcho(init: WorkerInit): void {
  const port = parentPort!;
  if (init.way === 'post') {
    port.on('message', (buf: ArrayBuffer) => port.postMessage(buf, [buf]));
    return;
  }
  // atomics: flag[0] is the ping count, flag[1] the pong count; bytes after 8 are the message.
  const flag = new Int32Array(init.sab!, 0, 2);
  let seen = 0;
  const wait = (): void => {
    const r = waitAsync(flag, 0, seen);
    const onPing = (): void => {
      seen = Atomics.load(flag, 0);
      Atomics.store(flag, 1, seen);
      Atomics.notify(flag, 1);
      wait();
    };
    if (r.async) void r.value.then(onPing);
    else onPing();
  };
  wait();
  // A pending Atomics.waitAsync does not keep a worker's loop alive; a port listener does.
  port.on('message', () => undefined);
  port.postMessage('ready');
}

function cpuUs(): { user: number; system: number } {
  return process.cpuUsage();
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function trips(way: Way, n: number, worker: Worker | undefined, sab: SharedArrayBuffer | undefined): Promise<number[]> {
  const lat: number[] = [];
  if (way === 'loop') {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await new Promise<void>((r) => setImmediate(r));
      lat.push((performance.now() - t0) * 1000);
    }
    return lat;
  }
  if (way === 'post') {
    for (let i = 0; i < n; i++) {
      const buf = new ArrayBuffer(BYTES);
      const t0 = performance.now();
      await new Promise<void>((r) => {
        worker!.once('message', () => r());
        worker!.postMessage(buf, [buf]);
      });
      lat.push((performance.now() - t0) * 1000);
    }
    return lat;
  }
  const flag = new Int32Array(sab!, 0, 2);
  const body = new Uint8Array(sab!, 8, BYTES);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    body[0] = i & 0xff;
    const sent = Atomics.add(flag, 0, 1) + 1;
    Atomics.notify(flag, 0);
    const r = waitAsync(flag, 1, sent - 1);
    if (r.async) await r.value;
    lat.push((performance.now() - t0) * 1000);
  }
  return lat;
}

/** echoWorker runs this file in a worker; workers do not inherit `--import tsx`, so it registers tsx. */
function echoWorker(init: WorkerInit): Worker {
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => { t.register(); ` +
    `return import(${JSON.stringify(import.meta.url)}); });`;
  const w = new Worker(boot, { eval: true, workerData: init });
  return w;
}

async function main(n: number, rounds: number): Promise<void> {
  const sab = new SharedArrayBuffer(8 + BYTES);
  const postWorker = echoWorker({ way: 'post' });
  const atomicsWorker = echoWorker({ way: 'atomics', sab });
  await new Promise<void>((r) => atomicsWorker.once('message', () => r()));
  const ways: Way[] = ['post', 'atomics', 'loop'];
  for (let round = 0; round <= rounds; round++) {
    for (const way of ways) {
      const c0 = cpuUs();
      const t0 = performance.now();
      const lat = await trips(way, n, way === 'post' ? postWorker : atomicsWorker, sab);
      const wallUs = ((performance.now() - t0) * 1000) / n;
      const c1 = cpuUs();
      const user = (c1.user - c0.user) / n;
      const system = (c1.system - c0.system) / n;
      if (round === 0) continue;
      lat.sort((a, b) => a - b);
      console.log(
        `round ${round} ${way.padEnd(7)}: ${wallUs.toFixed(1)} µs/trip wall (p50 ${pct(lat, 0.5).toFixed(1)}, ` +
        `p99 ${pct(lat, 0.99).toFixed(1)}), CPU ${(user + system).toFixed(1)} µs/trip ` +
        `(user ${user.toFixed(1)}, system ${system.toFixed(1)})`,
      );
    }
  }
  await postWorker.terminate();
  await atomicsWorker.terminate();
}

if (isMainThread) {
  const [n = 20_000, rounds = 3] = process.argv.slice(2).map(Number);
  await main(n, rounds);
} else {
  runEcho(workerData as WorkerInit);
}
