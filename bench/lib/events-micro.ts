/**
 * Event sink micro-benchmark: what a burst's Events cost the writer and its API server, in one
 * process (the component API harness: real Registry and EtcdStorage on an in-process 3-member
 * k8ts store, one gRPC server, an ApiClient), alternating rounds of
 *   single   the real EventSink over a view of the ApiClient without createBatch: one Create
 *            call per Event (as every sink wrote them before CreateBatch),
 *   batched  the real EventSink over the ApiClient: the creates queued behind a write leave in
 *            one CreateBatch call,
 * each round recording a kubelet's share of a startup burst: `pods` pods starting one every
 * `gapMs`, three Events each (Pulled, Created, Started), paced by the sink as in production
 * (50/s, burst 100) on the system clock. Prints process CPU µs per Event net of the idle rate
 * measured first (client, API server, store members: all in this process, so read it as "this
 * process"), the calls made, and how
 * long the last Event took to be written after the last was recorded.
 *
 *   node --import tsx bench/lib/events-micro.ts [pods=50] [rounds=3] [gapMs=10]
 */
import { performance } from 'node:perf_hooks';
import type { KubeObject } from '../../src/api/meta.js';
import { systemClock } from '../../src/base/clock.js';
import { systemWallMs } from '../../src/base/wall-clock.js';
import { ApiClient } from '../../src/client/api-client.js';
import type { BatchCreate, ComponentApi } from '../../src/client/component-api.js';
import { eventRecorderFactory } from '../../src/client/events/recorder.js';
import { PODS, startApiHarness } from '../../test/apiserver/grpc/harness.js';

type Mode = 'single' | 'batched';

async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? 50);
  const rounds = Number(process.argv[3] ?? 3);
  const gapMs = Number(process.argv[4] ?? 10);
  const h = await startApiHarness(1);
  const api = new ApiClient({ endpoints: h.endpoints });
  try {
    const idle = await idleUsPerMs();
    console.log(`idle: ${idle.toFixed(0)} µs CPU per ms (subtracted below)`);
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['single', 'batched'] as const) {
        const made = await createPods(api, `${mode}-${r}`, pods);
        const calls = { create: 0, batch: 0 };
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const tailMs = await recordBurst(counted(api, mode, calls), made, gapMs);
        const cpu = process.cpuUsage(cpu0);
        const net = cpu.user + cpu.system - idle * (performance.now() - t0);
        console.log(`round ${r + 1} ${mode.padEnd(7)}: ${(net / (pods * 3)).toFixed(0)} µs CPU ` +
          `per Event net of idle, ${calls.create} Create + ${calls.batch} CreateBatch calls ` +
          `for ${pods * 3} Events, last written ${tailMs.toFixed(0)} ms after the last was ` +
          'recorded');
      }
    }
  } finally {
    api.close();
    await h.stop();
  }
}

/** idleUsPerMs: this process's CPU while nothing is asked of it (the store members' ticks). */
async function idleUsPerMs(): Promise<number> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 2_000));
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / (performance.now() - t0);
}

/** counted: the ComponentApi a sink gets in mode, counting its create calls. */
function counted(api: ApiClient, mode: Mode, calls: { create: number; batch: number }):
  ComponentApi {
  const view: ComponentApi = Object.create(api) as ApiClient;
  view.create = (r, ns, obj, o) => {
    calls.create++;
    return api.create(r, ns, obj, o);
  };
  view.createBatch = mode === 'single' ? undefined : (items: readonly BatchCreate[], o) => {
    calls.batch++;
    return api.createBatch(items, o);
  };
  return view;
}

/** recordBurst records three Events per pod, a pod every gapMs, and waits until all are
 *  written; returns ms from the last event() to the sink's flush. */
async function recordBurst(api: ComponentApi, pods: KubeObject[], gapMs: number):
  Promise<number> {
  const logs: string[] = [];
  const events = eventRecorderFactory(api, { clock: systemClock, wallMs: systemWallMs,
    host: 'w1', log: (l) => logs.push(l) });
  const kubelet = events('kubelet');
  for (const pod of pods) {
    kubelet.event(pod, 'Normal', 'Pulled', 'Container image "busybox" already present on machine');
    kubelet.event(pod, 'Normal', 'Created', 'Created container: c');
    kubelet.event(pod, 'Normal', 'Started', 'Started container c');
    await new Promise((r) => setTimeout(r, gapMs));
  }
  const t0 = performance.now();
  await events.flush();
  const tailMs = performance.now() - t0;
  if (logs.length > 0) throw new Error(`the sink logged: ${logs.join('; ')}`);
  return tailMs;
}

async function createPods(api: ApiClient, prefix: string, n: number): Promise<KubeObject[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => api.create<KubeObject>(PODS, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `${prefix}-${i}` },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  })));
}

await main();
