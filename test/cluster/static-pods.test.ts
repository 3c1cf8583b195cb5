import assert from 'node:assert/strict';
import { parseClusterConfig } from '../../src/cluster/config.js';
import { DEFAULT_CONFIG_YAML } from '../../src/cluster/default-config.js';
import { controlPlaneManifests, passedOn, proxyManifest } from '../../src/cluster/static-pods.js';

/** Static pod manifests (pure): what each node's kubelet is handed to run. */
describe('static pods: control plane and kube-proxy manifests', () => {
  const cfg = parseClusterConfig(DEFAULT_CONFIG_YAML, 'default');
  const env = { HOME: '/home/u', K8TS_HOME: '/home/u/.k8ts', PATH: '/usr/bin' };

  it('gives every node a kube-proxy pod on its own address, ready by /healthz on 10256', () => {
    for (const n of cfg.nodes) {
      const m = proxyManifest(cfg, n, env);
      assert.equal(m.file, 'kube-proxy.yaml');
      assert.equal(m.component, 'proxy');
      const spec = m.pod.spec as { hostNetwork: boolean; containers: Record<string, unknown>[] };
      assert.equal(spec.hostNetwork, true);
      const c = spec.containers[0] ?? {};
      const command = c.command as string[];
      assert.deepEqual(command.slice(-2), ['--node', n.name]);
      assert.ok(command.some((a) => a.includes('proxy-main')), command.join(' '));
      assert.deepEqual((c.readinessProbe as { httpGet: unknown }).httpGet,
        { host: n.address, port: 10256, path: '/healthz' });
      const pidFile = (c.env as { name: string; value: string }[]).find((e) => e.name === 'K8TS_PID_FILE');
      assert.match(pidFile?.value ?? '', new RegExp(`/${n.name}-proxy\\.pid$`));
    }
  });

  it('passes the caller\'s K8TS_* variables on to every component pod, its own two excepted', () => {
    const withVars = { ...env, K8TS_STORE_BG_SYNC_MIN: '0', K8TS_TIMELINE: '/tmp/tl', K8TS_PID_FILE: '/x', OTHER: '1' };
    assert.deepEqual(passedOn(withVars), [
      { name: 'K8TS_STORE_BG_SYNC_MIN', value: '0' }, { name: 'K8TS_TIMELINE', value: '/tmp/tl' }]);
    const m1 = cfg.members[0]!;
    for (const f of [...controlPlaneManifests(cfg, m1, withVars), proxyManifest(cfg, cfg.nodes[0]!, withVars)]) {
      const c = (f.pod.spec as { containers: { env: { name: string; value: string }[] }[] }).containers[0];
      const names = (c?.env ?? []).map((e) => e.name);
      assert.ok(names.includes('K8TS_STORE_BG_SYNC_MIN'), `${f.file}: ${names.join(' ')}`);
      assert.ok(!names.includes('OTHER'), f.file);
      assert.equal(names.filter((n) => n === 'K8TS_PID_FILE').length, 1, f.file);
      assert.equal(names.filter((n) => n === 'K8TS_HOME').length, 1, f.file);
    }
  });

  it('keeps each master\'s four control-plane pods with kubeadm\'s names', () => {
    const m1 = cfg.members[0];
    assert.ok(m1);
    const files = controlPlaneManifests(cfg, m1, env).map((f) => f.file);
    assert.deepEqual(files, ['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml']);
  });

  it('probes kube-apiserver\'s /readyz over HTTPS as kubeadm does, the store by TCP', () => {
    const m1 = cfg.members[0]!;
    const probeOf = (file: string): Record<string, unknown> => {
      const f = controlPlaneManifests(cfg, m1, env).find((x) => x.file === file);
      const spec = f?.pod.spec as { containers: { readinessProbe: Record<string, unknown> }[] };
      return spec.containers[0]?.readinessProbe ?? {};
    };
    const api = m1.api ?? '';
    assert.deepEqual(probeOf('kube-apiserver.yaml').httpGet, {
      host: api.slice(0, api.lastIndexOf(':')), port: Number(api.slice(api.lastIndexOf(':') + 1)),
      path: '/readyz', scheme: 'HTTPS',
    });
    assert.ok(probeOf('etcd.yaml').tcpSocket);
  });

  it('starts kube-apiserver with the config\'s apiServer flags, and only kube-apiserver', () => {
    const commandOf = (c: typeof cfg, pod: string): string[] => {
      const f = controlPlaneManifests(c, c.members[0]!, env).find((x) => x.file === `${pod}.yaml`);
      const spec = f?.pod.spec as { containers: { command: string[] }[] };
      return spec.containers[0]?.command ?? [];
    };
    assert.deepEqual(commandOf(cfg, 'kube-apiserver').slice(-2), ['--member', 'm1']);
    const yaml = `${DEFAULT_CONFIG_YAML}apiServer: { watchCacheSizes: 'events#100', eventTtl: 10m }\n`;
    const tuned = parseClusterConfig(yaml, 'tuned');
    assert.deepEqual(commandOf(tuned, 'kube-apiserver').slice(-6),
      ['--member', 'm1', '--watch-cache-sizes', 'events#100', '--event-ttl', '10m']);
    for (const pod of ['etcd', 'kube-controller-manager', 'kube-scheduler']) {
      assert.deepEqual(commandOf(tuned, pod).slice(-2), ['--member', 'm1'], pod);
    }
  });
});
