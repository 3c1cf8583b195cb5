/**
 * Recorded events as a kubectl user sees them: events written through the component gRPC API
 * to a real API server appear in the real `kubectl describe pod`'s Events section, and three
 * repeats show as one line with "(x3 over ...)"; Events sent together in a CreateBatch call show
 * exactly as Events sent alone.
 */
import assert from 'node:assert/strict';
import type { Event } from '../../../src/api/core/v1/event.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { ApiClient } from '../../../src/client/api-client.js';
import type { BatchCreate, ComponentApi } from '../../../src/client/component-api.js';
import { eventRecorderFactory } from '../../../src/client/events/recorder.js';
import { startApiCluster, type ApiCluster } from '../../support/apiserver.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };

describe('event recorder against the real API server and kubectl', function () {
  this.timeout(60_000);
  let c: ApiCluster;
  let api: ApiClient;

  before(async function () {
    this.timeout(60_000);
    c = await startApiCluster({ servers: 1 });
    api = new ApiClient({ endpoints: c.grpcEndpoints, timeoutMs: 5_000 });
  });
  after(async () => {
    api?.close();
    await c?.stop();
  });

  it('kubectl describe pod lists the events; a repeat shows its count', async () => {
    const pod = await api.create<KubeObject>(PODS, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ev-pod' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const logs: string[] = [];
    const events = eventRecorderFactory(api, { clock: systemClock, wallMs: systemWallMs,
      host: 'm1', log: (l) => logs.push(l) });
    const sched = events('default-scheduler');
    sched.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/ev-pod to n1');
    for (let i = 0; i < 3; i++) {
      events('kubelet').event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    }
    await events.stop();
    assert.deepEqual(logs, []);
    const list = await api.list<Event>(EVENTS, 'default');
    const mine = list.items.filter((e) => e.involvedObject.uid === pod.metadata.uid);
    assert.deepEqual(mine.map((e) => `${e.reason ?? ''} x${e.count ?? 0}`).sort(),
      ['BackOff x3', 'Scheduled x1']);
    const r = await c.kubectl(['describe', 'pod', 'ev-pod']);
    assert.equal(r.code, 0, r.stderr);
    const section = r.stdout.slice(r.stdout.indexOf('Events:'));
    assert.match(section, /Type\s+Reason\s+Age\s+From\s+Message/);
    assert.match(section,
      /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/ev-pod to n1/);
    assert.match(section,
      /Warning\s+BackOff\s+\S+ \(x3 over \S+\)\s+kubelet\s+Back-off restarting failed/);
  });

  it('Events of one CreateBatch call show in kubectl describe as Events sent alone', async () => {
    const pod = await api.create<KubeObject>(PODS, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ev-batch' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    let batches = 0;
    const counted: ComponentApi = Object.assign(Object.create(api) as ApiClient, {
      createBatch: (items: readonly BatchCreate[]) => {
        batches++;
        return api.createBatch(items);
      },
    });
    const logs: string[] = [];
    const events = eventRecorderFactory(counted, { clock: systemClock, wallMs: systemWallMs,
      host: 'w1', log: (l) => logs.push(l) });
    const kubelet = events('kubelet');
    const said = [['Pulled', 'Container image "busybox" already present on machine'],
      ['Created', 'Created container: c'], ['Started', 'Started container c'],
      ['Killing', 'Stopping container c']];
    kubelet.event(pod, 'Normal', 'Scheduled', 'first'); // lingers; the rest join it
    for (const [reason, message] of said) kubelet.event(pod, 'Normal', reason!, message!);
    await events.stop();
    assert.deepEqual(logs, []);
    assert.equal(batches, 1);
    const list = await api.list<Event>(EVENTS, 'default');
    const mine = list.items.filter((e) => e.involvedObject.uid === pod.metadata.uid);
    assert.deepEqual(mine.map((e) => [e.reason, e.count, e.source?.component, e.source?.host,
      e.involvedObject.name, e.type]).sort(), [['Created', 1, 'kubelet', 'w1', 'ev-batch', 'Normal'],
      ['Killing', 1, 'kubelet', 'w1', 'ev-batch', 'Normal'],
      ['Pulled', 1, 'kubelet', 'w1', 'ev-batch', 'Normal'],
      ['Scheduled', 1, 'kubelet', 'w1', 'ev-batch', 'Normal'],
      ['Started', 1, 'kubelet', 'w1', 'ev-batch', 'Normal']]);
    const r = await c.kubectl(['describe', 'pod', 'ev-batch']);
    assert.equal(r.code, 0, r.stderr);
    const section = r.stdout.slice(r.stdout.indexOf('Events:'));
    for (const [reason, message] of said) {
      assert.match(section, new RegExp(`Normal\\s+${reason}\\s+\\S+\\s+kubelet\\s+` +
        message!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    }
  });
});
