/**
 * Microbench of the component API's watch fan-out encoding (issue 6, the API servers' CPU per
 * burst pod): E pod changes delivered to W watchers, in messages of B events, serialized as the
 * Watch method's responseSerialize does it — the generated encoder per watcher message (before)
 * and messages laid out from per-event parts encoded once (src/apiserver/grpc/watch-encode.ts).
 * Reports CPU µs per event (all of its W deliveries), best of R rounds, the two alternating.
 *
 *   node --import tsx bench/lib/apiserver-watch-micro.ts [events=2000] [watchers=8] [batch=4] [rounds=5]
 */
import { WatchResponse } from '../../src/gen/k8ts/api/v1/api.js';
import { watchEvent, watchResponseBytes } from '../../src/apiserver/grpc/watch-encode.js';

/** A burst pod's JSON as the watch carries it after its Running status write (~3 KiB). */
function podJson(i: number): Buffer {
  const meta = { name: `b0-${i}`, namespace: 'bench', uid: `0f0e0d0c-0b0a-4908-8706-${String(i).padStart(12, '0')}`,
    resourceVersion: String(1000 + i), creationTimestamp: '2026-11-24T18:00:00Z', labels: { burst: '0' },
    managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2026-11-24T18:00:00Z',
      fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:burst': {} } },
        'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:command': {}, 'f:image': {} } } } } }] };
  const spec = { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'],
    terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'Always' }],
  restartPolicy: 'Always', terminationGracePeriodSeconds: 1, dnsPolicy: 'ClusterFirst', nodeName: 'w1',
  schedulerName: 'default-scheduler', enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority' };
  const status = { phase: 'Running', podIP: '127.64.1.7', podIPs: [{ ip: '127.64.1.7' }], hostIP: '127.0.8.1',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']
      .map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: '2026-11-24T18:00:01Z' })),
    containerStatuses: [{ name: 'c', ready: true, restartCount: 0, started: true, image: 'docker.io/library/busybox:latest',
      imageID: 'sha256:0123456789abcdef', containerID: 'k8ts-process://0123456789abcdef',
      state: { running: { startedAt: '2026-11-24T18:00:01Z' } } }], qosClass: 'BestEffort' };
  return Buffer.from(JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: meta, spec, status }));
}

type Serialize = (m: WatchResponse) => Buffer;

const generated: Serialize = (m) => Buffer.from(WatchResponse.encode(m).finish());

function round(events: Buffer[], watchers: number, batch: number, serialize: Serialize): number {
  const t = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < events.length; i += batch) {
    const slice = events.slice(i, i + batch);
    for (let w = 0; w < watchers; w++) {
      // As serveWatch builds a watcher's batch: one WatchEvent per delivery.
      const m: WatchResponse = { events: slice.map((j) => watchEvent('MODIFIED', j, '')) };
      bytes += serialize(m).length;
    }
  }
  const u = process.cpuUsage(t);
  if (bytes === 0) throw new Error('nothing encoded');
  return (u.user + u.system) / events.length;
}

function main(): void {
  const n = Number(process.argv[2] ?? 2000);
  const watchers = Number(process.argv[3] ?? 8);
  const batch = Number(process.argv[4] ?? 4);
  const rounds = Number(process.argv[5] ?? 5);
  const best = { generated: Infinity, shared: Infinity };
  for (let r = 0; r < rounds; r++) {
    // Fresh buffers per round: a new event's parts are not encoded yet.
    const events = Array.from({ length: n }, (_, i) => podJson(i));
    best.generated = Math.min(best.generated, round(events, watchers, batch, generated));
    const again = Array.from({ length: n }, (_, i) => podJson(i));
    best.shared = Math.min(best.shared, round(again, watchers, batch, watchResponseBytes));
  }
  console.log(`watch encoding CPU µs per event to ${watchers} watchers, ${batch} per message ` +
    `(best of ${rounds} rounds of ${n}): generated per watcher ${best.generated.toFixed(1)}, ` +
    `shared parts ${best.shared.toFixed(1)}`);
}

main();
