import { strict as assert } from 'node:assert';
import type { KubeObject } from '../../../src/api/meta.js';
import { imageTag } from '../../../src/api/core/v1/pod-defaults.js';
import { strategyFor } from '../../../src/api/strategies.js';
import { created, updated } from './helpers.js';

/** The seeds' nginx-pod.yaml (shared/seeds/000), as kubectl sends it. */
const NGINX_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'nginx-pod', labels: { app: 'nginx' } },
  spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
};

function pod(spec: object, name = 'p'): object {
  return { metadata: { name }, spec };
}

describe('Pod defaults', () => {
  it('the seeds nginx pod is valid and gets every default kubectl output relies on', () => {
    const { obj, errs } = created('', 'Pod', NGINX_POD);
    assert.deepEqual(errs, []);
    const spec = obj.spec as Record<string, unknown>;
    assert.equal(spec.restartPolicy, 'Always');
    assert.equal(spec.dnsPolicy, 'ClusterFirst');
    assert.equal(spec.schedulerName, 'default-scheduler');
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.deepEqual(spec.securityContext, {});
    assert.equal(spec.serviceAccountName, 'default');
    assert.equal(spec.serviceAccount, 'default');
    assert.equal(spec.enableServiceLinks, true);
    assert.equal(spec.priority, 0);
    assert.deepEqual(spec.tolerations, [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    const c = (spec.containers as Record<string, unknown>[])[0] ?? {};
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.equal(c.terminationMessagePath, '/dev/termination-log');
    assert.equal(c.terminationMessagePolicy, 'File');
    assert.deepEqual(c.resources, {});
    assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP' }]);
    assert.deepEqual(obj.status, { phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('imagePullPolicy is Always for :latest or no tag, IfNotPresent for a tag or digest', () => {
    assert.equal(imageTag('nginx'), 'latest');
    assert.equal(imageTag('nginx:latest'), 'latest');
    assert.equal(imageTag('localhost:5000/app'), 'latest');
    assert.equal(imageTag('localhost:5000/app:1.0'), '1.0');
    assert.equal(imageTag('app@sha256:abc'), '');
    const { obj } = created('', 'Pod', pod({ containers: [{ name: 'a', image: 'busybox' }] }));
    assert.equal((obj.spec as { containers: { imagePullPolicy: string }[] }).containers[0]?.imagePullPolicy, 'Always');
  });

  it('probes get timeout 1, period 10, success 1, failure 3 and HTTP scheme; limits become requests', () => {
    const { obj, errs } = created('', 'Pod', pod({
      containers: [{
        name: 'a', image: 'x:1',
        livenessProbe: { httpGet: { port: 8080 } },
        resources: { limits: { cpu: '500m', memory: '128Mi' } },
      }],
    }));
    assert.deepEqual(errs, []);
    const c = (obj.spec as { containers: Record<string, unknown>[] }).containers[0] ?? {};
    assert.deepEqual(c.livenessProbe, {
      httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3,
    });
    assert.deepEqual((c.resources as Record<string, unknown>).requests, { cpu: '500m', memory: '128Mi' });
    assert.equal((obj.status as { qosClass: string }).qosClass, 'Guaranteed');
  });

  it('defaulting is idempotent', () => {
    const s = strategyFor('', 'Pod');
    const once = structuredClone(NGINX_POD) as KubeObject;
    s.applyDefaults(once);
    const twice = structuredClone(once);
    s.applyDefaults(twice);
    assert.deepEqual(twice, once);
  });
});

describe('Pod validation', () => {
  const table: [string, object, string[]][] = [
    ['name Foo_bar', { metadata: { name: 'Foo_bar' }, spec: { containers: [{ name: 'a', image: 'x' }] } }, [
      'metadata.name: Invalid value: "Foo_bar": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric ' +
        "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used " +
        "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]],
    ['no containers', pod({ containers: [] }), ['spec.containers: Required value']],
    ['no image', pod({ containers: [{ name: 'a' }] }), ['spec.containers[0].image: Required value']],
    ['duplicate names', pod({ containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] }), [
      'spec.containers[1].name: Duplicate value: "a"',
    ]],
    ['bad port', pod({ containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 70000 }] }] }), [
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ]],
    ['bad protocol', pod({ containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, protocol: 'HTTP' }] }] }), [
      'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ]],
    ['restartPolicy', pod({ restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'x' }] }), [
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]],
    ['limits < requests', pod({ containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] }), [
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    ]],
    ['bad quantity', pod({ containers: [{ name: 'a', image: 'x', resources: { limits: { memory: '1Gb' } } }] }), [
      'spec.containers[0].resources.limits[memory]: Invalid value: "1Gb": quantities must match the regular expression ' +
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ]],
    ['mount without volume', pod({ containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] }), [
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ]],
    ['duplicate volumes', pod({ volumes: [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }], containers: [{ name: 'a', image: 'x' }] }), [
      'spec.volumes[1].name: Duplicate value: "v"',
    ]],
    ['two volume sources', pod({ volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }], containers: [{ name: 'a', image: 'x' }] }), [
      'spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type',
    ]],
    ['bad env name', pod({ containers: [{ name: 'a', image: 'x', env: [{ name: '1A', value: 'v' }] }] }), [
      'spec.containers[0].env[0].name: Invalid value: "1A": a valid environment variable name must consist of alphabetic ' +
        "characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name', or 'MY_ENV.NAME', or " +
        "'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
    ]],
    ['probe without handler', pod({ containers: [{ name: 'a', image: 'x', readinessProbe: { periodSeconds: 5 } }] }), [
      'spec.containers[0].readinessProbe: Required value: must specify a handler type',
    ]],
    ['liveness successThreshold', pod({ containers: [{ name: 'a', image: 'x', livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } }] }), [
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    ]],
    ['toleration without key', pod({ tolerations: [{ operator: 'Equal', value: 'x' }], containers: [{ name: 'a', image: 'x' }] }), [
      'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
    ]],
    ['affinity without topologyKey', pod({
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } } }] } },
      containers: [{ name: 'a', image: 'x' }],
    }), ['spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty']],
    ['spread skew', pod({
      topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }],
      containers: [{ name: 'a', image: 'x' }],
    }), ['spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero']],
  ];
  for (const [name, manifest, want] of table) {
    it(name, () => assert.deepEqual(created('', 'Pod', manifest).errs, want));
  }

  it('a full-featured pod (env, envFrom, volumes, probes, affinity, spread) is valid', () => {
    const { errs } = created('', 'Pod', pod({
      initContainers: [{ name: 'init', image: 'busybox:1', command: ['true'] }],
      containers: [{
        name: 'app', image: 'app:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'K', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
        ],
        envFrom: [{ secretRef: { name: 's' } }],
        volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }, { name: 'info', mountPath: '/info' }],
        readinessProbe: { exec: { command: ['true'] } },
        startupProbe: { httpGet: { port: 'http' } },
        ports: [{ name: 'http', containerPort: 8080 }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      }],
      volumes: [
        { name: 'cfg', configMap: { name: 'cm' } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      ],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'x' } } }],
    }));
    assert.deepEqual(errs, []);
  });
});

describe('Pod update', () => {
  const stored = created('', 'Pod', NGINX_POD).obj;

  it('may change the image', () => {
    const next = structuredClone(stored);
    (next.spec as { containers: { image: string }[] }).containers[0]!.image = 'nginx:1.26';
    assert.deepEqual(updated('', 'Pod', next, stored), []);
  });

  it('may not change a port, with upstream\'s message', () => {
    const next = structuredClone(stored);
    (next.spec as { containers: { ports: { containerPort: number }[] }[] }).containers[0]!.ports[0]!.containerPort = 81;
    const [err] = updated('', 'Pod', next, stored);
    assert.ok(err?.startsWith(
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,' +
      '`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing ' +
      'tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
    ), err);
  });

  it('may add tolerations and bind once, but not remove a toleration', () => {
    const next = structuredClone(stored);
    const spec = next.spec as { tolerations: object[]; nodeName?: string };
    spec.tolerations.push({ key: 'k', operator: 'Exists', effect: 'NoSchedule' });
    spec.nodeName = 'w1';
    assert.deepEqual(updated('', 'Pod', next, stored), []);
    const fewer = structuredClone(stored);
    (fewer.spec as { tolerations: object[] }).tolerations = [];
    const errs = updated('', 'Pod', fewer, stored);
    // Defaulting re-adds the admission tolerations, as the registry defaults every update.
    assert.deepEqual(errs, []);
  });
});
