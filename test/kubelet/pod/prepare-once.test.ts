/**
 * A new pod's first sync prepares it (env, mounts, DNS) once, and builds one sandbox config for
 * RunPodSandbox, the image checks and CreateContainer — unless its downward API reads the pod's
 * own IPs, which exist only once the sandbox does: then it prepares again with them. Against the
 * in-process simulated runtime, with the CRI calls recorded.
 */
import assert from 'node:assert/strict';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import type {
  CreateContainerRequest, CriRuntime, PodSandboxConfig, RunPodSandboxRequest,
} from '../../../src/kubelet/cri/types.js';
import { PodObserver } from '../../../src/kubelet/pod/cri-observe.js';
import { EMPTY_MEMORY, readsPodIps, syncPod } from '../../../src/kubelet/pod/sync.js';
import {
  DEFAULT_POD_WORKER_TUNING, type PodWorkerDeps, type PreparedPod,
} from '../../../src/kubelet/pod/types.js';
import { SimulatedRuntime } from '../../../src/runtime/simulated/runtime.js';
import { makeTestPod } from './harness.js';

/** started runs one sync of pod; returns what prepare saw and the sandbox configs sent. */
async function started(pod: Pod) {
  const sim = new SimulatedRuntime({ podCidr: '100.64.9.0/24', wallMs: systemWallMs });
  const configs: PodSandboxConfig[] = [];
  const cri = Object.create(sim) as CriRuntime;
  cri.runPodSandbox = (req: RunPodSandboxRequest) => {
    if (req.config !== undefined) configs.push(req.config);
    return sim.runPodSandbox(req);
  };
  cri.createContainer = (req: CreateContainerRequest) => {
    if (req.sandboxConfig !== undefined) configs.push(req.sandboxConfig);
    return sim.createContainer(req);
  };
  const prepared: { podIP: string; env: string }[] = [];
  const deps: PodWorkerDeps = {
    cri, clock: systemClock, wallMs: systemWallMs, node: { name: 'n', ip: '127.0.2.9' },
    reportStatus: () => undefined,
    prepare: async (p): Promise<PreparedPod> => {
      const podIP = p.status?.podIP ?? '';
      const reads = readsPodIps(p);
      prepared.push({ podIP, env: reads ? podIP : '' });
      return {
        containers: Object.fromEntries((p.spec?.containers ?? []).map((c) => [c.name,
          { env: reads ? [{ key: 'POD_IP', value: podIP }] : [], mounts: [] }])),
        dnsConfig: { servers: ['127.0.0.53'], searches: [], options: [] },
        hostname: p.metadata.name ?? '',
        logDirectory: '/nonexistent',
      };
    },
  };
  const r = await syncPod({
    deps, observer: new PodObserver(cri, pod.metadata.uid ?? ''), pod, memory: EMPTY_MEMORY,
    probeKills: {}, tuning: DEFAULT_POD_WORKER_TUNING, previousWaiting: {},
  });
  assert.equal(r.observed.containers[0]?.state, 'running');
  const ip = r.observed.sandboxes[0]?.ips[0] ?? '';
  assert.match(ip, /^100\.64\.9\.\d+$/);
  return { prepared, configs, ip };
}

const ENV_POD_IP = { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } };

describe('a new pod is prepared once unless it reads its own IP', () => {
  it('no downward IP: one prepare, one sandbox config object for every call', async () => {
    const pod = makeTestPod('once', { containers: [{ name: 'c', image: 'busybox' }] });
    const { prepared, configs } = await started(pod);
    assert.deepEqual(prepared, [{ podIP: '', env: '' }]);
    assert.equal(configs.length, 2, 'RunPodSandbox and CreateContainer');
    assert.equal(configs[0], configs[1], 'the same config object');
  });

  it('env from status.podIP: prepared again with the sandbox\'s IP', async () => {
    const pod = makeTestPod('twice', { containers: [{ name: 'c', image: 'busybox',
      env: [ENV_POD_IP] }] });
    const { prepared, configs, ip } = await started(pod);
    assert.deepEqual(prepared, [{ podIP: '', env: '' }, { podIP: ip, env: ip }]);
    assert.equal(configs[0], configs[1], 'the sandbox config is not rebuilt');
  });

  it('readsPodIps: env and downwardAPI volume items (plain or projected), IP fields only', () => {
    const spec = (extra: Partial<NonNullable<Pod['spec']>>, env: object[] = []): Pod =>
      makeTestPod('p', { containers: [{ name: 'c', image: 'busybox', env: env as never }],
        ...extra });
    const item = (fieldPath: string) => ({ path: 'f', fieldRef: { fieldPath } });
    assert.equal(readsPodIps(spec({})), false);
    assert.equal(readsPodIps(spec({}, [ENV_POD_IP])), true);
    assert.equal(readsPodIps(spec({}, [{ name: 'IPS',
      valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } }])), true);
    assert.equal(readsPodIps(spec({}, [{ name: 'HOST',
      valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }])), false);
    assert.equal(readsPodIps(spec({ initContainers: [{ name: 'i', image: 'busybox',
      env: [ENV_POD_IP] }] })), true, 'init containers count');
    assert.equal(readsPodIps(spec({ volumes: [{ name: 'd',
      downwardAPI: { items: [item('metadata.name')] } }] })), false);
    assert.equal(readsPodIps(spec({ volumes: [{ name: 'd',
      downwardAPI: { items: [item('status.podIP')] } }] })), true);
    assert.equal(readsPodIps(spec({ volumes: [{ name: 'p', projected: { sources: [
      { downwardAPI: { items: [item('status.podIPs')] } }] } }] })), true);
  });
});
