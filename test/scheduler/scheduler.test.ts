/**
 * kube-scheduler end to end on a real in-process API server, with the real client kit
 * (informers, event recorder): pending pods are bound and spread over the nodes with Scheduled
 * events; a pod that fits nowhere gets a FailedScheduling event and PodScheduled=False with
 * upstream's summary, and is bound as soon as a node that can take it is added.
 */
import assert from 'node:assert/strict';
import type { Node } from '../../src/api/core/v1/cluster-kinds.js';
import type { Event } from '../../src/api/core/v1/event.js';
import type { Pod } from '../../src/api/core/v1/pod-types.js';
import { systemClock } from '../../src/base/clock.js';
import { systemWallMs } from '../../src/base/wall-clock.js';
import { ApiClient } from '../../src/client/api-client.js';
import { SharedInformerFactory } from '../../src/client/cache/factory.js';
import { eventRecorderFactory } from '../../src/client/events/recorder.js';
import { NODES, PODS, runScheduler } from '../../src/scheduler/scheduler.js';
import { startApiCluster, type ApiCluster } from '../support/apiserver.js';
import { eventually } from '../support/controllers.js';
import { node, pod } from './fixtures.js';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };
const NS = 'sched';

function readyNode(name: string, cpu: string): Node {
  const n = node(name, { cpu, memory: '4Gi', pods: '10' });
  n.status!.conditions = [{ type: 'Ready', status: 'True' }];
  return n;
}

describe('kube-scheduler on a real API server', function () {
  this.timeout(90_000);
  let cluster: ApiCluster;
  let api: ApiClient;
  let stop: () => Promise<void>;
  const logs: string[] = [];

  before(async () => {
    cluster = await startApiCluster({ servers: 1 });
    api = new ApiClient({ endpoints: cluster.grpcEndpoints });
    await api.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace',
      metadata: { name: NS } });
    for (const n of ['n1', 'n2', 'n3']) await api.create(NODES, undefined, readyNode(n, '2'));
    const informers = new SharedInformerFactory(api, { clock: systemClock });
    const events = eventRecorderFactory(api, { clock: systemClock, wallMs: systemWallMs,
      host: 'test', log: (l) => logs.push(l) });
    const abort = new AbortController();
    const run = runScheduler({ api, informers, clock: systemClock, wallMs: systemWallMs,
      events: events('default-scheduler'), signal: abort.signal, log: (l) => logs.push(l) });
    stop = async () => {
      abort.abort();
      await run;
      await informers.stopAndWait();
      await events.stop();
    };
  });

  after(async () => {
    await stop?.();
    api?.close();
    await cluster?.stop();
  });

  const getPod = (name: string): Promise<Pod> => api.get<Pod>(PODS, NS, name);
  const eventsOf = async (name: string): Promise<Event[]> => (await api.list<Event>(EVENTS, NS,
    { fieldSelector: `involvedObject.name=${name}` })).items;

  it('binds pending pods, spread evenly over equal nodes, with Scheduled events', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `web-${i}`);
    for (const name of names) await api.create(PODS, NS, pod(name, { ns: NS, cpu: '500m' }));
    const bound = await eventually(async () => {
      const pods = await Promise.all(names.map(getPod));
      for (const p of pods) assert.ok(p.spec?.nodeName, `${p.metadata.name} not bound yet`);
      return pods;
    });
    const perNode = new Map<string, number>();
    for (const p of bound) {
      const n = p.spec?.nodeName ?? '';
      perNode.set(n, (perNode.get(n) ?? 0) + 1);
    }
    assert.deepEqual([...perNode.values()], [2, 2, 2], JSON.stringify([...perNode]));
    const scheduled = bound[0]!.status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.equal(scheduled?.status, 'True', 'the registry\'s bind sets PodScheduled=True');
    const ev = await eventually(async () => {
      const evs = await eventsOf('web-0');
      assert.equal(evs.length, 1);
      return evs[0]!;
    });
    assert.deepEqual([ev.type, ev.reason, ev.message, ev.source?.component], ['Normal',
      'Scheduled', `Successfully assigned ${NS}/web-0 to ${bound[0]!.spec!.nodeName}`,
      'default-scheduler']);
  });

  it('reports a pod that fits nowhere, and binds it once a node that fits is added', async () => {
    await api.create(PODS, NS, pod('huge', { ns: NS, cpu: '3' }));
    const summary = '0/3 nodes are available: 3 Insufficient cpu.';
    const cond = await eventually(async () => {
      const c = (await getPod('huge')).status?.conditions?.find((x) => x.type === 'PodScheduled');
      assert.equal(c?.status, 'False');
      return c;
    });
    assert.deepEqual([cond?.reason, cond?.message], ['Unschedulable', summary]);
    await eventually(async () => {
      const evs = await eventsOf('huge');
      assert.deepEqual(evs.map((e) => [e.type, e.reason, e.message]),
        [['Warning', 'FailedScheduling', summary]]);
    });
    await api.create(NODES, undefined, readyNode('big', '8'));
    const p = await eventually(async () => {
      const got = await getPod('huge');
      assert.equal(got.spec?.nodeName, 'big');
      return got;
    });
    assert.equal(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
  });
});
