/**
 * Bind path micro-benchmark: what a bind costs the scheduler's client and its API server, in
 * one process (the component API harness: real Registry and EtcdStorage on an in-process
 * 3-member k8ts store, one gRPC server, an ApiClient), alternating rounds of
 *   single   binds as single Bind calls (as ApiClient.bind made them before BindBatch),
 *   batched  binds as the scheduler makes them (no trace context: BindBatch by group commit),
 * each round binding `pods` fresh pending pods the way the scheduler does: one new bind per turn
 * of the event loop, at most 64 in flight. Prints process CPU µs per bind. The store runs in
 * this process too (one transaction per bind either way, but its fdatasyncs are counted: binds
 * that reach it together share them), so read the numbers as "this process", not "the API
 * server".
 *
 *   node --import tsx bench/lib/cp-bind-micro.ts [pods=2000] [rounds=3]
 */
import { performance } from 'node:perf_hooks';
import { ApiClient } from '../../src/client/api-client.js';
import { ApiServiceService as Api } from '../../src/gen/k8ts/api/v1/api.js';
import { PODS, startApiHarness } from '../../test/apiserver/grpc/harness.js';

const IN_FLIGHT = 64;

async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 3);
  const h = await startApiHarness(1);
  const api = new ApiClient({ endpoints: h.endpoints });
  try {
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['single', 'batched'] as const) {
        const names = await createPods(api, `${mode}-${r}`, pods);
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await bindAll(api, names, mode);
        const cpu = process.cpuUsage(cpu0);
        const ms = performance.now() - t0;
        const us = (cpu.user + cpu.system) / pods;
        console.log(`round ${r + 1} ${mode.padEnd(7)}: ${us.toFixed(0)} µs CPU per bind, ` +
          `${(pods / (ms / 1000)).toFixed(0)} binds/s`);
      }
    }
  } finally {
    api.close();
    await h.stop();
  }
}

async function createPods(api: ApiClient, prefix: string, n: number): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < n) {
      const name = names[next++]!;
      await api.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name },
        spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9',
          resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } });
    }
  }));
  return names;
}

/** bindAll starts one bind per turn of the event loop, at most IN_FLIGHT at once. */
async function bindAll(api: ApiClient, names: string[], mode: 'single' | 'batched'):
  Promise<void> {
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const all: Promise<unknown>[] = [];
  for (const [i, name] of names.entries()) {
    while (inFlight >= IN_FLIGHT) await new Promise<void>((r) => { wake = r; });
    inFlight++;
    const node = `node-${i % 100}`;
    const bind = mode === 'single' ? singleBind(api, name, node) : api.bind('default', name, node);
    all.push(bind.finally(() => {
      inFlight--;
      wake?.();
    }));
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(all);
}

/** singleBind: one Bind call, as ApiClient.bind made them before BindBatch (its private call,
 *  reached through a cast: only this comparison needs it). */
function singleBind(api: ApiClient, pod: string, nodeName: string): Promise<unknown> {
  const call = (api as unknown as { call: (...a: unknown[]) => Promise<unknown> }).call;
  return call.call(api, 'write', {}, Api.bind, { namespace: 'default', pod, nodeName });
}

await main();
