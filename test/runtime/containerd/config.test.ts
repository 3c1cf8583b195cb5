/**
 * The containerd node's rendered files: paths all under the state dir, the settings this host
 * needs (P1, P5, P6), and a pod network that can never NAT or forward traffic off the machine.
 */
import assert from 'node:assert/strict';
import {
  containerdPaths,
  renderContainerdConfig,
} from '../../../src/runtime/containerd/config.js';
import {
  bridgeNameFor,
  InvalidPodCidrError,
  podNetworkFor,
  renderCniConflist,
} from '../../../src/runtime/containerd/pod-network.js';
import { MAX_IFNAME_BYTES } from '../../../src/runtime/host-network.js';

describe('containerd node files', () => {
  const paths = containerdPaths('/var/lib/k8ts/w1/containerd');

  it('keeps every path of the instance under its state dir', () => {
    for (const [key, value] of Object.entries(paths)) {
      assert.ok(value.startsWith('/var/lib/k8ts/w1/containerd'), `${key}: ${value}`);
    }
    assert.throws(() => containerdPaths('relative/dir'), /absolute/);
    assert.throws(() => containerdPaths(`/${'x'.repeat(90)}`), /too long for sockets/);
  });

  it('renders config.toml with the settings this host needs', () => {
    const toml = renderContainerdConfig({
      paths,
      sandboxImage: 'registry.k8s.io/pause:3.9',
      cniBinDir: '/usr/lib/cni',
      runcBinary: '/usr/sbin/runc',
    });
    for (const line of [
      'root = "/var/lib/k8ts/w1/containerd/root"',
      '  address = "/var/lib/k8ts/w1/containerd/containerd.sock"',
      '  restrict_oom_score_adj = true',
      '  netns_mounts_under_state_dir = true',
      '  sandbox_image = "registry.k8s.io/pause:3.9"',
      '  stream_server_address = "127.0.0.1"',
      '        Root = "/var/lib/k8ts/w1/containerd/runc"',
      '        SystemdCgroup = false',
      '    bin_dir = "/usr/lib/cni"',
      '    conf_dir = "/var/lib/k8ts/w1/containerd/cni/net.d"',
    ]) {
      assert.ok(toml.split('\n').includes(line), `missing line ${JSON.stringify(line)}`);
    }
  });

  it('names bridges within 15 bytes, distinct per node', () => {
    assert.equal(bridgeNameFor('w1'), 'k8ts-w1');
    const long = bridgeNameFor('a-very-long-node-name');
    const other = bridgeNameFor('a-very-long-node-name-2');
    assert.ok(Buffer.byteLength(long) <= MAX_IFNAME_BYTES, long);
    assert.notEqual(long, other);
    assert.match(bridgeNameFor('Node.With.Dots'), /^k8ts-[0-9a-f]{10}$/);
  });

  it('accepts only network ranges inside 100.64.0.0/10', () => {
    const net = podNetworkFor('w1', '100.64.3.0/24', '/s/ipam');
    assert.deepEqual(
      [net.bridge, net.gateway, net.prefixLength, net.subnet],
      ['k8ts-w1', '100.64.3.1', 24, '100.64.3.0/24'],
    );
    assert.equal(podNetworkFor('w1', '100.127.255.0/24', '/i').gateway, '100.127.255.1');
    assert.equal(podNetworkFor('w1', '100.64.3.0/24', '/i', 'k8ts-c1-w1').bridge, 'k8ts-c1-w1');
    assert.throws(() => podNetworkFor('w1', '100.64.3.0/24', '/i', 'k8ts-much-too-long'),
      /not a valid ifname/);
    for (const bad of ['10.0.0.0/24', '192.168.1.0/24', '100.128.0.0/24', '100.63.255.0/24',
      '100.64.3.5/24', '100.64.0.0/8', '100.64.3.0/30', 'nonsense', '100.64.3.0']) {
      assert.throws(() => podNetworkFor('w1', bad, '/i'), InvalidPodCidrError, bad);
    }
  });

  it('renders a conflist that neither NATs, maps host ports nor makes the host a router', () => {
    const net = podNetworkFor('w1', '100.64.3.0/24', '/s/ipam');
    const conf = JSON.parse(renderCniConflist(net)) as {
      name: string;
      plugins: Record<string, unknown>[];
    };
    assert.equal(conf.name, 'k8ts-w1');
    assert.deepEqual(conf.plugins.map((p) => p.type), ['bridge']);
    const bridge = conf.plugins[0] ?? {};
    assert.equal(bridge.isGateway, false, 'isGateway would turn on ip_forward');
    assert.equal(bridge.ipMasq, false);
    assert.deepEqual(bridge.ipam, {
      type: 'host-local',
      ranges: [[{ subnet: '100.64.3.0/24', gateway: '100.64.3.1' }]],
      routes: [{ dst: '0.0.0.0/0', gw: '100.64.3.1' }],
      dataDir: '/s/ipam',
    });
  });
});
