/**
 * The pod worker's small pure pieces: back-off arithmetic, garbage selection, the spec hash,
 * CRI configs (labels, annotations, log paths, ports, cgroup values from requests and limits)
 * and the CRI → observation converters.
 */
import assert from 'node:assert/strict';
import {
  ContainerState,
  PodSandboxState,
  Protocol,
  type ContainerStatus,
  type CriRuntime,
} from '../../../src/kubelet/cri/types.js';
import type { Container } from '../../../src/api/core/v1/pod-types.js';
import { Prng } from '../../../src/base/prng.js';
import { backoffUntilMs, formatDelay, nextBackoff } from '../../../src/kubelet/pod/backoff.js';
import {
  containerSpecHash, SPEC_HASH_MEMO_MAX,
} from '../../../src/kubelet/pod/container-hash.js';
import {
  buildContainerConfig,
  buildSandboxConfig,
  linuxResources,
} from '../../../src/kubelet/pod/cri-config.js';
import {
  fromContainerStatus, fromSandboxStatus, PodObserver,
} from '../../../src/kubelet/pod/cri-observe.js';
import { selectGarbage } from '../../../src/kubelet/pod/gc.js';
import { pullPolicyOf } from '../../../src/kubelet/pod/images.js';
import { activeDeadline } from '../../../src/kubelet/pod/sync.js';
import {
  FALLBACK_BYTES_MAX,
  FALLBACK_LINES_MAX,
  messageFromLogTail,
} from '../../../src/kubelet/pod/termination-message.js';
import type { PreparedPod } from '../../../src/kubelet/pod/types.js';
import { inst, makePod, observed, sandbox } from './fixtures.js';

const policy = { baseMs: 10_000, maxMs: 300_000 };

describe('back-off', () => {
  it('doubles from base to max, measured from the failure', () => {
    let e = nextBackoff(undefined, 0, 0, policy);
    const delays = [e.delayMs];
    for (let i = 0; i < 7; i++) {
      e = nextBackoff(e, i, i, policy);
      delays.push(e.delayMs);
    }
    assert.deepEqual(delays, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
    assert.equal(backoffUntilMs(e, 1_000, 2_000, policy), 301_000);
    assert.equal(backoffUntilMs(e, 1_000, 301_000, policy), undefined);
    assert.equal(backoffUntilMs(undefined, 1_000, 1_000, policy), undefined);
  });

  it('an entry untouched for 2 × max is forgotten', () => {
    const e = { delayMs: 160_000, lastUpdateMs: 0 };
    assert.equal(backoffUntilMs(e, 600_001, 600_002, policy), undefined);
    assert.equal(nextBackoff(e, 600_001, 600_002, policy).delayMs, 10_000);
  });

  it('renders delays as upstream does', () => {
    assert.deepEqual([formatDelay(10_000), formatDelay(80_000), formatDelay(300_000),
      formatDelay(200)], ['10s', '1m20s', '5m0s', '200ms']);
  });
});

describe('pod garbage', () => {
  it('keeps the two newest instances per container and sandboxes they live in', () => {
    const c = { name: 'app', image: 'busybox:1' };
    const obs = observed([sandbox({ id: 'old', ready: false }), sandbox({ id: 'older',
      attempt: 0, ready: false }), sandbox({ id: 'cur', attempt: 2 })], [
      inst(c, { id: 'a0', attempt: 0, state: 'exited', sandboxId: 'older' }),
      inst(c, { id: 'a1', attempt: 1, state: 'exited', sandboxId: 'old' }),
      inst(c, { id: 'a2', attempt: 2, state: 'exited', sandboxId: 'cur' }),
      inst(c, { id: 'a3', attempt: 3, state: 'running', sandboxId: 'cur' }),
    ]);
    assert.deepEqual(selectGarbage(obs),
      { containerIds: ['a1', 'a0'], sandboxIds: ['old', 'older'] });
  });
});

describe('container spec hash', () => {
  it('is stable across key order and changes with the image', () => {
    const a = containerSpecHash({ name: 'x', image: 'busybox:1', command: ['sh'] });
    assert.equal(a, containerSpecHash({ command: ['sh'], image: 'busybox:1', name: 'x' }));
    assert.notEqual(a, containerSpecHash({ name: 'x', image: 'busybox:2', command: ['sh'] }));
    assert.match(a, /^[0-9a-f]{8}$/);
  });

  it('remembers hashes by the container\'s JSON: the same value in any key order, bounded',
    () => {
      const c = (image: string): Container => ({ name: 'x', image, command: ['sh'] });
      const first = containerSpecHash(c('busybox:1'));
      assert.equal(containerSpecHash(c('busybox:1')), first, 'a second equal container');
      assert.equal(containerSpecHash({ command: ['sh'], name: 'x', image: 'busybox:1' }), first);
      // More distinct containers than the memo holds: it starts over, hashes stay right.
      const hashes = Array.from({ length: SPEC_HASH_MEMO_MAX + 10 },
        (_, i) => containerSpecHash(c(`busybox:${i}`)));
      assert.equal(new Set(hashes).size, hashes.length);
      assert.equal(containerSpecHash(c('busybox:1')), first);
      assert.equal(hashes[1], first);
    });

  it('is FNV-1a over the canonical JSON text, as containers made by earlier kubelets carry',
    () => {
      // The hash an older kubelet stamped must still match (else a restarted kubelet would
      // restart every container): a reference that builds the text, on random values.
      const canonical = (v: unknown): string => {
        if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
        if (v !== null && typeof v === 'object') {
          const e = Object.entries(v).filter(([, x]) => x !== undefined)
            .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
          return `{${e.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
        }
        return JSON.stringify(v) ?? 'null';
      };
      const reference = (v: unknown): string => {
        let h = 0x811c9dc5;
        const t = canonical(v);
        for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193) >>> 0;
        return h.toString(16).padStart(8, '0');
      };
      const prng = new Prng(6);
      const rng = (): number => prng.float();
      const leaves = [1, 'a', 'é\ud800"\\', true, null, undefined, 1.5e300, -0, 10];
      const keys = ['b', 'a', 'B', '_', 'é', 'aa', '10', '9', 'image'];
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
      const value = (depth: number): unknown => {
        const r = rng();
        if (depth > 3 || r < 0.3) return pick(leaves);
        if (r < 0.55) return Array.from({ length: Math.floor(rng() * 4) }, () => value(depth + 1));
        return Object.fromEntries(Array.from({ length: 4 }, () => [pick(keys), value(depth + 1)]));
      };
      for (let i = 0; i < 2_000; i++) {
        const v = value(0) as Container;
        assert.equal(containerSpecHash(v), reference(v), JSON.stringify(v));
      }
    });
});

describe('CRI configs', () => {
  const prepared: PreparedPod = {
    containers: { app: { env: [{ key: 'A', value: '1' }],
      mounts: [{ containerPath: '/data', hostPath: '/var/x', readonly: true }] } },
    dnsConfig: { servers: ['127.96.0.10'], searches: ['default.svc.cluster.local'],
      options: ['ndots:5'] },
    hostname: 'web',
    logDirectory: '/var/log/pods/default_web_uid-1',
  };
  const pod = makePod({ containers: [{ name: 'app', image: 'busybox:1', command: ['sh'],
    args: ['-c', 'true'], workingDir: '/w', ports: [{ containerPort: 80, protocol: 'UDP' }] }] });
  pod.metadata.labels = { app: 'web' };

  it('sandbox: metadata, hostname, log dir, DNS, labels incl. pod identity, port mappings', () => {
    const c = buildSandboxConfig(pod, prepared, 3);
    assert.deepEqual(c.metadata, { name: 'web', namespace: 'default', uid: 'uid-1', attempt: 3 });
    assert.equal(c.hostname, 'web');
    assert.equal(c.logDirectory, '/var/log/pods/default_web_uid-1');
    assert.deepEqual(c.dnsConfig, prepared.dnsConfig);
    assert.deepEqual(c.labels, { app: 'web', 'io.kubernetes.pod.name': 'web',
      'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': 'uid-1' });
    assert.deepEqual(c.portMappings, [{ protocol: Protocol.UDP, containerPort: 80, hostPort: 0,
      hostIp: '' }]);
  });

  it('container: metadata, image, argv, env, mounts, log path, labels, annotations', () => {
    const spec = pod.spec!.containers[0]!;
    const c = buildContainerConfig({ pod, container: spec, attempt: 2, prepared });
    assert.deepEqual(c.metadata, { name: 'app', attempt: 2 });
    assert.equal(c.image?.image, 'busybox:1');
    assert.deepEqual([c.command, c.args, c.workingDir], [['sh'], ['-c', 'true'], '/w']);
    assert.deepEqual(c.envs, [{ key: 'A', value: '1' }]);
    assert.equal(c.mounts[0]?.readonly, true);
    assert.equal(c.logPath, 'app/2.log');
    assert.equal(c.labels['io.kubernetes.container.name'], 'app');
    assert.equal(c.labels['io.kubernetes.pod.uid'], 'uid-1');
    assert.equal(c.annotations['io.kubernetes.container.restartCount'], '2');
    assert.equal(c.annotations['io.kubernetes.container.hash'], containerSpecHash(spec));
    assert.equal(c.annotations['io.kubernetes.container.terminationMessagePath'],
      '/dev/termination-log');
  });

  it('resources: shares from requests, quota from limits, memory in bytes', () => {
    const r = linuxResources({ name: 'x', resources: { requests: { cpu: '250m' },
      limits: { cpu: '500m', memory: '64Mi' } } });
    assert.deepEqual([r.cpuShares, r.cpuQuota, r.cpuPeriod, r.memoryLimitInBytes],
      [256n, 50_000n, 100_000n, 67_108_864n]);
    const limitOnly = linuxResources({ name: 'x', resources: { limits: { cpu: '1' } } });
    assert.equal(limitOnly.cpuShares, 1024n, 'a limit alone implies an equal request');
    const none = linuxResources({ name: 'x' });
    assert.deepEqual([none.cpuShares, none.cpuQuota, none.memoryLimitInBytes], [2n, 0n, 0n]);
  });

  it('pull policy defaults: no tag or :latest → Always, a tag or digest → IfNotPresent', () => {
    assert.equal(pullPolicyOf({ name: 'x', image: 'busybox' }), 'Always');
    assert.equal(pullPolicyOf({ name: 'x', image: 'busybox:latest' }), 'Always');
    assert.equal(pullPolicyOf({ name: 'x', image: 'localhost:5000/busybox' }), 'Always');
    assert.equal(pullPolicyOf({ name: 'x', image: 'nginx:1.25' }), 'IfNotPresent');
    assert.equal(pullPolicyOf({ name: 'x', image: 'nginx@sha256:abc' }), 'IfNotPresent');
    assert.equal(pullPolicyOf({ name: 'x', image: 'nginx', imagePullPolicy: 'Never' }), 'Never');
  });
});

describe('CRI → observation', () => {
  it('converts a container status: ns to ms, state, hash annotation', () => {
    const s: ContainerStatus = {
      id: 'c1', metadata: { name: 'app', attempt: 4 }, state: ContainerState.CONTAINER_EXITED,
      createdAt: 1_700_000_000_123_456_789n, startedAt: 1_700_000_001_000_000_000n,
      finishedAt: 1_700_000_002_500_000_000n, exitCode: 137, reason: 'OOMKilled', message: '',
      image: { image: 'docker.io/library/busybox:1', annotations: {},
        userSpecifiedImage: 'busybox:1', runtimeHandler: '', imageRef: '' },
      imageRef: 'sha256:abc', labels: {}, annotations: { 'io.kubernetes.container.hash': 'h1' },
      mounts: [], logPath: '', imageId: '',
    };
    assert.deepEqual(fromContainerStatus(s, 'sb'), {
      id: 'c1', name: 'app', attempt: 4, sandboxId: 'sb', state: 'exited',
      createdAtMs: 1_700_000_000_123, startedAtMs: 1_700_000_001_000,
      finishedAtMs: 1_700_000_002_500, exitCode: 137, reason: 'OOMKilled', message: '',
      image: 'busybox:1', imageRef: 'sha256:abc', specHash: 'h1', logPath: '',
    });
  });

  it('converts a sandbox status: IPs only while ready', () => {
    const base = { id: 's1', metadata: { name: 'p', uid: 'u', namespace: 'd', attempt: 1 },
      createdAt: 0n, network: { ip: '100.64.1.5', additionalIps: [{ ip: 'fd00::5' }] },
      labels: {}, annotations: {}, runtimeHandler: '' };
    assert.deepEqual(fromSandboxStatus({ ...base, state: PodSandboxState.SANDBOX_READY }).ips,
      ['100.64.1.5', 'fd00::5']);
    const notReady = fromSandboxStatus({ ...base, state: PodSandboxState.SANDBOX_NOTREADY });
    assert.deepEqual(notReady.ips, []);
  });

  it('a pod known to start empty is not listed on its first observation, only later', async () => {
    let lists = 0;
    const cri = {
      listPodSandbox: async () => { lists++; return { items: [] }; },
      listContainers: async () => { lists++; return { containers: [] }; },
    } as unknown as CriRuntime;
    const observer = new PodObserver(cri, 'u1', true);
    assert.deepEqual(await observer.observe(), { sandboxes: [], containers: [] });
    assert.equal(lists, 0);
    await observer.observe();
    assert.equal(lists, 2);
    await new PodObserver(cri, 'u2').observe();
    assert.equal(lists, 4, 'without the hint the first observation lists');
  });
});

describe('activeDeadlineSeconds', () => {
  it('counts from status.startTime; before it passes, says when it will', () => {
    const pod = makePod({});
    pod.spec!.activeDeadlineSeconds = 30;
    const start = '2023-11-14T22:13:20Z';
    const startMs = Date.parse(start);
    assert.deepEqual(activeDeadline(pod, start, startMs + 29_000),
      { exceeded: false, atMs: startMs + 30_000 });
    assert.deepEqual(activeDeadline(pod, start, startMs + 30_000), { exceeded: true });
    assert.deepEqual(activeDeadline(pod, undefined, startMs), { exceeded: false });
    assert.deepEqual(activeDeadline(makePod({}), start, startMs + 1e9), { exceeded: false });
  });
});

describe('FallbackToLogsOnError message', () => {
  const line = (text: string, tag = 'F', stream = 'stdout') =>
    `2026-11-23T10:00:00.000000000Z ${stream} ${tag} ${text}\n`;

  it('joins partial lines and keeps the last 80 lines', () => {
    const log = line('part-', 'P') + line('one') + line('err', 'F', 'stderr');
    assert.equal(messageFromLogTail(Buffer.from(log), false), 'part-one\nerr\n');
    const many = Array.from({ length: 100 }, (_, i) => line(`l${i}`)).join('');
    const msg = messageFromLogTail(Buffer.from(many), false);
    assert.equal(msg.split('\n').length - 1, FALLBACK_LINES_MAX);
    assert.ok(msg.startsWith('l20\n'));
  });

  it('drops a torn first line when reading from the middle; caps at 2048 bytes', () => {
    const log = `tail of a line\n${line('whole')}`;
    assert.equal(messageFromLogTail(Buffer.from(log), true), 'whole\n');
    const big = line('x'.repeat(5000));
    assert.equal(Buffer.byteLength(messageFromLogTail(Buffer.from(big), false)),
      FALLBACK_BYTES_MAX);
  });
});
