/**
 * Microbench of the API server's share of one pod's startup writes (issue 6, the control plane's
 * CPU per pod): the real Registry over the simulator's MemoryStorage (no store, no network), so
 * what it measures is the registry's own work per write — decode-free admission, defaults,
 * validation, managedFields, encode/decode of the stored value — for the writes a burst pod
 * costs: its create, the scheduler's bind, the kubelet's Running status update, and a Scheduled
 * Event. Reports CPU µs per pod of each write (process.cpuUsage over N pods, best of R rounds).
 *
 *   node --import tsx bench/lib/pod-writes-micro.ts [pods=2000] [rounds=5]
 *
 * With --cpu-prof it is also the quickest way to profile the registry's write path.
 */
import type { KubeObject } from '../../src/api/meta.js';
import { findResource, type ResourceInfo } from '../../src/api/resources.js';
import { Prng } from '../../src/base/prng.js';
import { newUid, systemWallMs } from '../../src/base/wall-clock.js';
import { Allocator, parseCidr } from '../../src/apiserver/registry/allocator.js';
import { Registry } from '../../src/apiserver/registry/registry.js';
import { ServiceAddresses } from '../../src/apiserver/registry/services.js';
import type { RequestContext } from '../../src/apiserver/registry/types.js';
import { MemoryStorage } from '../../src/sim/control-plane/memory-storage.js';

const NS = 'bench';
const ctx: RequestContext = { user: { name: 'bench', groups: ['system:masters'] } };

function resource(group: string, version: string, name: string): ResourceInfo {
  const r = findResource(group, version, name);
  if (r === undefined) throw new Error(`no resource ${name}`);
  return r;
}

const PODS = resource('', 'v1', 'pods');
const EVENTS = resource('', 'v1', 'events');
const NAMESPACES = resource('', 'v1', 'namespaces');

/** burstPod: the nodes bench's burst pod (bench/nodes-suite.ts). */
function burstPod(i: number): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `b0-${i}`, namespace: NS, labels: { burst: '0', runtime: 'process' } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
    },
  } as KubeObject;
}

/** runningStatus: what a kubelet writes when the pod's container started. */
function runningStatus(pod: KubeObject, nowIso: string): KubeObject {
  const ready = { lastProbeTime: null, lastTransitionTime: nowIso, status: 'True' };
  return {
    ...pod,
    status: {
      ...(pod.status as object),
      phase: 'Running', hostIP: '127.0.8.1', hostIPs: [{ ip: '127.0.8.1' }],
      podIP: '127.64.1.7', podIPs: [{ ip: '127.64.1.7' }], startTime: nowIso, qosClass: 'BestEffort',
      conditions: [
        { type: 'PodReadyToStartContainers', ...ready }, { type: 'Initialized', ...ready },
        { type: 'Ready', ...ready }, { type: 'ContainersReady', ...ready },
        { type: 'PodScheduled', ...ready },
      ],
      containerStatuses: [{
        name: 'c', ready: true, restartCount: 0, started: true, image: 'docker.io/library/busybox:latest',
        imageID: 'sha256:0123456789abcdef', containerID: 'k8ts-process://0123456789abcdef',
        state: { running: { startedAt: nowIso } }, lastState: {},
      }],
    },
  } as KubeObject;
}

function scheduledEvent(pod: KubeObject, nowIso: string, i: number): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: `b0-${i}.${(1_000_000 + i).toString(16)}`, namespace: NS },
    involvedObject: { kind: 'Pod', namespace: NS, name: pod.metadata.name,
      uid: pod.metadata.uid, apiVersion: 'v1', resourceVersion: pod.metadata.resourceVersion },
    reason: 'Scheduled', message: `Successfully assigned ${NS}/${pod.metadata.name ?? ''} to w1`,
    source: { component: 'default-scheduler' }, firstTimestamp: nowIso, lastTimestamp: nowIso,
    count: 1, type: 'Normal', reportingComponent: 'default-scheduler', reportingInstance: 'm1',
  } as KubeObject;
}

interface Costs { create: number; bind: number; status: number; event: number }

async function round(pods: number, k: number): Promise<Costs> {
  const storage = new MemoryStorage();
  const prng = new Prng(k + 1);
  const registry = new Registry({
    storage, wallMs: systemWallMs, newUid, random: () => prng.float(),
    services: new ServiceAddresses(new Allocator(storage, parseCidr('127.96.0.0/16'))),
  });
  await registry.create(ctx, NAMESPACES, undefined,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject, {});
  const us = (t: NodeJS.CpuUsage): number => (t.user + t.system) / pods;
  const created: KubeObject[] = [];
  let t = process.cpuUsage();
  for (let i = 0; i < pods; i++) {
    created.push((await registry.create(ctx, PODS, NS, burstPod(i), { fieldManager: 'kubectl' })).object);
  }
  const create = us(process.cpuUsage(t));
  t = process.cpuUsage();
  for (let i = 0; i < pods; i++) await registry.bind(ctx, NS, `b0-${i}`, 'w1');
  const bind = us(process.cpuUsage(t));
  const bound = await Promise.all(created.map((p) => registry.get(ctx, PODS, NS, p.metadata.name ?? '')));
  const nowIso = new Date(systemWallMs()).toISOString().replace(/\.\d+Z$/, 'Z');
  t = process.cpuUsage();
  for (const p of bound) {
    await registry.update(ctx, PODS, NS, p.metadata.name ?? '', runningStatus(p, nowIso),
      // No fieldManager, as the kubelet's client sends none.
      { subresource: 'status' });
  }
  const status = us(process.cpuUsage(t));
  t = process.cpuUsage();
  for (let i = 0; i < pods; i++) {
    await registry.create(ctx, EVENTS, NS, scheduledEvent(bound[i] ?? created[0] ?? burstPod(0), nowIso, i),
      { fieldManager: 'scheduler' });
  }
  const event = us(process.cpuUsage(t));
  return { create, bind, status, event };
}

async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 5);
  const best: Costs = { create: Infinity, bind: Infinity, status: Infinity, event: Infinity };
  for (let k = 0; k < rounds; k++) {
    const c = await round(pods, k);
    for (const key of Object.keys(best) as (keyof Costs)[]) best[key] = Math.min(best[key], c[key]);
  }
  const total = best.create + best.bind + best.status + best.event;
  console.log(`registry CPU µs per pod (best of ${rounds} rounds of ${pods} pods): ` +
    `create ${best.create.toFixed(0)}, bind ${best.bind.toFixed(0)}, status ${best.status.toFixed(0)}, ` +
    `event ${best.event.toFixed(0)}, total ${total.toFixed(0)}`);
}

await main();
