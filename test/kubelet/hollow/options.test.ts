/**
 * The hollow nodes' addresses and pod ranges: distinct for every node a config may ask for
 * (5,000), inside loopback, clear of the ranges other parts of k8ts use (127.64.<k>/24 of the
 * process runtime, 127.96/16 of Services), and the names hollowShard hands out map back to
 * their index. Also the kubelet config a hollow node runs with.
 */
import assert from 'node:assert/strict';
import { hollowShard } from '../../../src/cluster/node-config.js';
import { hollowKubeletConfig } from '../../../src/kubelet/hollow/hollow-nodes.js';
import {
  HOLLOW_LABEL, HOLLOW_TIMING, hollowAddress, hollowIndexOf, hollowPodCidr,
} from '../../../src/kubelet/hollow/options.js';

describe('hollow node addresses and config', () => {
  it('gives 5,000 nodes distinct loopback addresses and /24 pod ranges clear of others', () => {
    const addresses = new Set<string>();
    const cidrs = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const a = hollowAddress(i);
      const c = hollowPodCidr(i);
      assert.match(a, /^127\.65\.\d+\.\d+$/);
      assert.ok(!a.endsWith('.0') && !a.endsWith('.255'), a);
      const [, second] = c.split('.').map(Number);
      assert.ok(second !== undefined && second >= 128 && second <= 255, c);
      assert.match(c, /^127\.\d+\.\d+\.0\/24$/);
      addresses.add(a);
      cidrs.add(c);
    }
    assert.equal(addresses.size, 5_000);
    assert.equal(cidrs.size, 5_000);
  });

  it('refuses an index out of range (a programmer error)', () => {
    assert.throws(() => hollowAddress(-1), /out of range/);
    assert.throws(() => hollowPodCidr(250 * 256), /out of range/);
  });

  it('maps the names hollowShard hands out back to their index', () => {
    const all = [0, 1, 2].flatMap((s) => hollowShard({ nodes: 10, processes: 3 }, s));
    assert.deepEqual(all.map((n) => hollowIndexOf(n)).sort((a, b) => (a ?? 0) - (b ?? 0)),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(hollowIndexOf('w1'), undefined);
    assert.equal(hollowIndexOf('hollow-0000'), undefined);
  });

  it('configures a worker with the hollow capacity, label, pod range and timing', () => {
    const cfg = hollowKubeletConfig({ addressOf: () => '127.65.0.3', podCidrOf: () =>
      '127.128.2.0/24', rootDir: '/tmp/x' }, 'hollow-0003', HOLLOW_TIMING);
    assert.equal(cfg.role, 'worker');
    assert.equal(cfg.address, '127.65.0.3');
    assert.deepEqual(cfg.podCidrs, ['127.128.2.0/24']);
    assert.equal(cfg.rootDir, '/tmp/x/hollow-0003');
    assert.equal(cfg.capacity.pods, '110');
    assert.equal(cfg.nodeLabels[HOLLOW_LABEL], 'true');
    assert.equal(cfg.leaseRenewIntervalMs, HOLLOW_TIMING.leaseRenewIntervalMs);
    assert.ok(cfg.leaseRenewIntervalMs * 2 <= cfg.leaseDurationSeconds * 1000,
      'one missed renewal must still fit the lease');
  });
});
