/**
 * Container environment by Kubernetes' rules: values with $(VAR) expansion, ConfigMap and Secret
 * references (optional or not, with upstream's errors), the downward API, envFrom with
 * prefixes and invalid keys, and the service variables (docker-link style, enableServiceLinks,
 * the kubernetes Service always).
 */
import assert from 'node:assert/strict';
import type { ConfigMap, Secret } from '../../../src/api/core/v1/config.js';
import type { Container, Pod } from '../../../src/api/core/v1/pod-types.js';
import type { Service } from '../../../src/api/core/v1/service.js';
import {
  containerEnv, EnvConfigError, type EnvLookups,
} from '../../../src/kubelet/env/container-env.js';
import { expand } from '../../../src/kubelet/env/expand.js';
import { podDnsConfig } from '../../../src/kubelet/env/dns.js';
import { serviceEnv } from '../../../src/kubelet/env/service-env.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const cm: ConfigMap = { metadata: { name: 'cfg', namespace: 'app' },
  data: { MODE: 'fast', 'bad key': 'x', LEVEL: '3' } };
const secret: Secret = { metadata: { name: 'sec', namespace: 'app' },
  data: { password: b64('hunter2') } };
const svc = (ns: string, name: string, ip: string, ports: Service['spec']): Service => ({
  metadata: { namespace: ns, name }, spec: { clusterIP: ip, ...ports } });
const services = [
  svc('default', 'kubernetes', '127.96.0.1', { ports: [{ name: 'https', port: 443 }] }),
  svc('app', 'web-svc', '127.96.0.7', { ports: [{ name: 'http', port: 80, protocol: 'TCP' },
    { port: 53, protocol: 'UDP' }] }),
  svc('app', 'headless', 'None', { ports: [{ port: 1 }] }),
  svc('other', 'elsewhere', '127.96.0.9', { ports: [{ port: 9 }] }),
];

function pod(c: Container, links?: boolean): Pod {
  return {
    metadata: { name: 'p', namespace: 'app', uid: 'u-1', labels: { app: 'web' },
      annotations: { note: 'hi' } },
    spec: { containers: [c], nodeName: 'w1', serviceAccountName: 'sa',
      ...(links === undefined ? {} : { enableServiceLinks: links }) },
  };
}

const lookups: EnvLookups = {
  configMap: (n) => (n === 'cfg' ? cm : undefined),
  secret: (n) => (n === 'sec' ? secret : undefined),
  services,
  facts: { nodeName: 'w1', hostIP: '127.0.2.1', podIPs: ['127.64.1.5'] },
  allocatable: { cpu: '4', memory: '8Gi' },
};

function envOf(c: Container, links?: boolean): Record<string, string> {
  return Object.fromEntries(containerEnv(pod(c, links), c, lookups).env
    .map((v) => [v.name, v.value]));
}

describe('kubelet env', () => {
  it('expands $(VAR), keeps unknown references and honours $$ escapes', () => {
    const l = (n: string) => ({ A: 'x', B: 'y' } as Record<string, string>)[n];
    assert.equal(expand('$(A)-$(B)', l), 'x-y');
    assert.equal(expand('$(C) $$(A) $ $x $(', l), '$(C) $(A) $ $x $(');
  });

  it('resolves values, references, the downward API and resources', () => {
    const env = envOf({ name: 'c', resources: { limits: { memory: '64Mi' },
      requests: { cpu: '250m' } }, env: [
      { name: 'GREETING', value: 'hello' },
      { name: 'MSG', value: '$(GREETING) world $(MISSING)' },
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory',
        divisor: '1Mi' } } },
      { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu',
        divisor: '1m' } } },
      { name: 'CPU_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
    ] });
    assert.equal(env.MSG, 'hello world $(MISSING)');
    assert.equal(env.MODE, 'fast');
    assert.equal(env.PW, 'hunter2');
    assert.equal('OPT' in env, false, 'a missing optional reference leaves the variable out');
    assert.deepEqual([env.NAME, env.NS, env.APP, env.NODE, env.SA],
      ['p', 'app', 'web', 'w1', 'sa']);
    assert.deepEqual([env.POD_IP, env.HOST_IP], ['127.64.1.5', '127.0.2.1']);
    assert.deepEqual([env.MEM, env.CPU_REQ, env.CPU_LIM], ['64', '250', '4']);
  });

  it('fails with upstream messages on missing objects and keys', () => {
    const fails = (c: Container, msg: string) => assert.throws(() => envOf(c),
      (e: unknown) => e instanceof EnvConfigError && e.message === msg &&
        e.reason === 'CreateContainerConfigError');
    fails({ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope',
      key: 'k' } } }] }, 'configmap "nope" not found');
    fails({ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg',
      key: 'k' } } }] }, "couldn't find key k in ConfigMap app/cfg");
    fails({ name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'sec',
      key: 'k' } } }] }, "couldn't find key k in Secret app/sec");
    fails({ name: 'c', envFrom: [{ secretRef: { name: 'gone' } }] }, 'secret "gone" not found');
  });

  it('adds envFrom keys with their prefix, skips invalid ones, and env wins over them', () => {
    const c: Container = { name: 'c', envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'P_' },
      { secretRef: { name: 'sec' } }, { configMapRef: { name: 'x', optional: true } }],
    env: [{ name: 'P_MODE', value: 'slow' }] };
    const r = containerEnv(pod(c), c, lookups);
    const env = Object.fromEntries(r.env.map((v) => [v.name, v.value]));
    assert.equal(env.P_MODE, 'slow');
    assert.equal(env.P_LEVEL, '3');
    assert.equal(env.password, 'hunter2');
    assert.deepEqual(r.warnings, ['Keys [bad key] from the EnvFrom configMap app/cfg were ' +
      'skipped since they are considered invalid environment variable names.']);
  });

  it('injects service variables for the namespace and the kubernetes Service', () => {
    const env = envOf({ name: 'c' });
    assert.equal(env.WEB_SVC_SERVICE_HOST, '127.96.0.7');
    assert.equal(env.WEB_SVC_SERVICE_PORT, '80');
    assert.equal(env.WEB_SVC_SERVICE_PORT_HTTP, '80');
    assert.equal(env.WEB_SVC_PORT, 'tcp://127.96.0.7:80');
    assert.equal(env.WEB_SVC_PORT_53_UDP, 'udp://127.96.0.7:53');
    assert.equal(env.WEB_SVC_PORT_53_UDP_PROTO, 'udp');
    assert.equal(env.WEB_SVC_PORT_80_TCP_ADDR, '127.96.0.7');
    assert.equal(env.KUBERNETES_SERVICE_HOST, '127.96.0.1');
    assert.equal(env.KUBERNETES_SERVICE_PORT_HTTPS, '443');
    assert.equal(env.HEADLESS_SERVICE_HOST, undefined);
    assert.equal(env.ELSEWHERE_SERVICE_HOST, undefined);
    const noLinks = envOf({ name: 'c' }, false);
    assert.equal(noLinks.WEB_SVC_SERVICE_HOST, undefined);
    assert.equal(noLinks.KUBERNETES_SERVICE_HOST, '127.96.0.1');
  });

  it('lets a pod variable override a service variable', () => {
    const env = envOf({ name: 'c', env: [{ name: 'KUBERNETES_SERVICE_HOST', value: 'mine' },
      { name: 'U', value: 'https://$(KUBERNETES_SERVICE_HOST)' }] });
    assert.equal(env.KUBERNETES_SERVICE_HOST, 'mine');
    assert.equal(env.U, 'https://mine');
    assert.equal(serviceEnv(services, 'app', true).filter((v) =>
      v.name === 'KUBERNETES_SERVICE_HOST').length, 1);
  });

  it('computes the variables of a Service object once; a changed Service (new object) anew',
    () => {
      const first = serviceEnv(services, 'app', true);
      assert.deepEqual(serviceEnv(services, 'app', true), first);
      assert.equal(serviceEnv(services, 'app', true)[0], first[0], 'the same Var objects');
      const moved = services.map((s) => (s.metadata.name !== 'kubernetes' ? s
        : svc('default', 'kubernetes', '127.96.0.2', { ports: [{ name: 'https', port: 6443 }] })));
      const after = new Map(serviceEnv(moved, 'app', true).map((v) => [v.name, v.value]));
      assert.equal(after.get('KUBERNETES_SERVICE_HOST'), '127.96.0.2');
      assert.equal(after.get('KUBERNETES_SERVICE_PORT'), '6443');
      assert.equal(after.get('WEB_SVC_SERVICE_HOST'), '127.96.0.7');
    });

  it('gives ClusterFirst pods the cluster DNS and search path, None only its own', () => {
    const p = pod({ name: 'c' });
    assert.deepEqual(podDnsConfig(p, ['127.96.0.10'], 'cluster.local'), {
      servers: ['127.96.0.10'], searches: ['app.svc.cluster.local', 'svc.cluster.local',
        'cluster.local'], options: ['ndots:5'] });
    const none: Pod = { ...p, spec: { ...p.spec!, dnsPolicy: 'None', dnsConfig: {
      nameservers: ['127.0.0.53'], options: [{ name: 'edns0' }] } } };
    assert.deepEqual(podDnsConfig(none, ['127.96.0.10'], 'cluster.local'),
      { servers: ['127.0.0.53'], searches: [], options: ['edns0'] });
  });
});
