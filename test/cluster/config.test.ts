/**
 * Cluster configs: the shipped files load, the embedded default equals default.yaml, and every
 * mistake is reported with file, line and column.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  apiServerArgs,
  DEFAULT_CONFIG_YAML,
  DEFAULT_CONTROL_PLANE,
  clusterId,
  defaultClusterConfig,
  loadClusterConfig,
  parseClusterConfig,
  statePaths,
} from '../../src/cluster/config.js';
import { effectiveConfig } from '../../src/cluster/supervisor.js';
import { tempHome } from '../support/cluster.js';

const THREE = `name: t
members:
  - { id: 1, name: m1, address: 127.0.1.1:12380 }
  - { id: 2, name: m2, address: 127.0.1.2:12380 }
  - { id: 3, name: m3, address: 127.0.1.3:12380 }
`;

function errorOf(text: string, force = false): string {
  try {
    parseClusterConfig(text, 'x.yaml', { force });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('config was accepted');
}

describe('cluster config', () => {
  it('embeds a default identical to cluster-configs/default.yaml', () => {
    assert.equal(readFileSync('cluster-configs/default.yaml', 'utf8'), DEFAULT_CONFIG_YAML);
    const cfg = defaultClusterConfig();
    assert.equal(cfg.name, 'default');
    assert.deepEqual(cfg.members.map((m) => m.address), ['127.0.1.1:12380', '127.0.1.2:12380', '127.0.1.3:12380']);
    assert.deepEqual(cfg.timing, { tickMs: 10, electionTicks: 15, heartbeatTicks: 3 });
    assert.equal(cfg.forwarding, true);
  });

  it('loads the shipped configs: one, default, five', () => {
    const sizes = ['one', 'default', 'five'].map((n) => loadClusterConfig(`cluster-configs/${n}.yaml`).members.length);
    assert.deepEqual(sizes, [1, 3, 5]);
  });

  it('runs hollow nodes at nice 10 unless told otherwise; refuses a nice out of 0..19', () => {
    assert.deepEqual(loadClusterConfig('cluster-configs/hollow-1000.yaml').hollow,
      { nodes: 1000, processes: 4, nice: 10 });
    const own = parseClusterConfig(`${THREE}hollow: { nodes: 10, nice: 0 }\n`, 'x.yaml').hollow;
    assert.deepEqual(own, { nodes: 10, processes: 1, nice: 0 });
    assert.match(errorOf(`${THREE}hollow: { nodes: 10, nice: 25 }\n`), /^x\.yaml:6:28: hollow\.nice must be an integer in \[0, 19\]/);
  });

  it('refuses an even member count and explains why, unless forced', () => {
    const four = `${THREE}  - { id: 4, name: m4, address: 127.0.1.4:12380 }\n`;
    const msg = errorOf(four);
    assert.match(msg, /^x\.yaml:3:3: 4 members is an even count/);
    assert.match(msg, /3 tolerates 1 failure, 4 also only 1/);
    assert.match(msg, /--force/);
    assert.equal(parseClusterConfig(four, 'x.yaml', { force: true }).members.length, 4);
    assert.equal(parseClusterConfig(`${four}force: true\n`, 'x.yaml').members.length, 4);
  });

  it('names file, line and column of a bad value', () => {
    assert.equal(errorOf(THREE.replace('127.0.1.2:12380', '127.0.1.2')), 'x.yaml:4:33: members[1].address "127.0.1.2" must be IPv4 host:port (e.g. 127.0.1.1:12380)');
    assert.match(errorOf(THREE.replace('id: 3', 'id: 0')), /^x\.yaml:5:11: members\[2\]\.id must be an integer/);
    assert.match(errorOf(THREE.replace('id: 3', 'id: 2')), /^x\.yaml:5:11: members\[2\]\.id 2 is used by another member/);
    assert.match(errorOf(THREE.replace('name: m3', 'name: m2')), /^x\.yaml:5:20: members\[2\]\.name m2 is used/);
  });

  it('refuses addresses off loopback', () => {
    assert.match(errorOf(THREE.replace('127.0.1.3', '192.168.1.3')), /^x\.yaml:5:33: .*not loopback/);
  });

  it('refuses unknown keys (typos) and missing required keys', () => {
    assert.match(errorOf(`${THREE}timing: { tickMs: 10, elektionTicks: 5 }\n`), /^x\.yaml:6:23: unknown key timing\.elektionTicks/);
    assert.match(errorOf(THREE.replace('name: t\n', '')), /^x\.yaml:1:1: missing required key name/);
    assert.match(errorOf(THREE.replace(', name: m2', '')), /^x\.yaml:4:5: members\[1\]: missing required key name/);
  });

  it('refuses heartbeats slower than elections', () => {
    assert.match(errorOf(`${THREE}timing: { electionTicks: 5, heartbeatTicks: 5 }\n`), /^x\.yaml:6:9: timing\.heartbeatTicks \(5\) must be below/);
  });

  it('reads controlPlane leader timing and refuses an order in which two leaders could overlap', () => {
    assert.deepEqual(parseClusterConfig(THREE, 'x.yaml').controlPlane, DEFAULT_CONTROL_PLANE);
    const tuned = parseClusterConfig(`${THREE}controlPlane: { leaseDurationMs: 15000, renewDeadlineMs: 10000, retryPeriodMs: 2000 }\n`, 'x.yaml');
    assert.deepEqual(tuned.controlPlane, { ...DEFAULT_CONTROL_PLANE, leaseDurationMs: 15000, renewDeadlineMs: 10000, retryPeriodMs: 2000 });
    const bad = errorOf(`${THREE}controlPlane: { leaseDurationMs: 400, renewDeadlineMs: 500 }\n`);
    assert.match(bad, /^x\.yaml:6:15: controlPlane needs retryPeriodMs \(100\) < renewDeadlineMs \(500\) < leaseDurationMs \(400\)/);
    assert.match(errorOf(`${THREE}controlPlane: { leaseDuration: 400 }\n`), /leaseDuration/);
  });

  it('passes apiServer storage flags through, checked by the API server\'s own parsers', () => {
    assert.deepEqual(parseClusterConfig(THREE, 'x.yaml').apiServer, { watchCacheSizes: undefined, eventTtl: undefined });
    assert.deepEqual(apiServerArgs(parseClusterConfig(THREE, 'x.yaml')), []);
    const set = parseClusterConfig(`${THREE}apiServer:\n  watchCacheSizes: events#100,pods#0\n  eventTtl: 10m\n`, 'x.yaml');
    assert.deepEqual(set.apiServer, { watchCacheSizes: 'events#100,pods#0', eventTtl: '10m' });
    assert.deepEqual(apiServerArgs(set), ['--watch-cache-sizes', 'events#100,pods#0', '--event-ttl', '10m']);
    assert.deepEqual(apiServerArgs(parseClusterConfig(`${THREE}apiServer: { eventTtl: 1h30m }\n`, 'x.yaml')),
      ['--event-ttl', '1h30m']);
    assert.equal(errorOf(`${THREE}apiServer:\n  watchCacheSizes: podz#0\n`),
      'x.yaml:7:20: apiServer.watchCacheSizes: podz#0: no such resource is served');
    assert.equal(errorOf(`${THREE}apiServer:\n  watchCacheSizes: pods=0\n`),
      'x.yaml:7:20: apiServer.watchCacheSizes: "pods=0" is not resource[.group]#size');
    assert.equal(errorOf(`${THREE}apiServer: { eventTtl: 1d }\n`),
      'x.yaml:6:24: apiServer.eventTtl: "1d" is not a positive duration such as 1h or 90s');
    assert.match(errorOf(`${THREE}apiServer: { eventTtl: 3600 }\n`), /^x\.yaml:6:24: apiServer\.eventTtl must be a non-empty string/);
    assert.match(errorOf(`${THREE}apiServer: { eventTTL: 1h }\n`), /^x\.yaml:6:14: unknown key apiServer\.eventTTL \(allowed: watchCacheSizes, eventTtl\)/);
  });

  it('writes the apiServer block into the effective config only when set, and reads it back', () => {
    const plain = parseClusterConfig(THREE, 'x.yaml');
    assert.doesNotMatch(effectiveConfig(plain), /apiServer/);
    const set = parseClusterConfig(`${THREE}apiServer: { watchCacheSizes: 'events#100', eventTtl: 5m }\n`, 'x.yaml');
    assert.deepEqual(parseClusterConfig(effectiveConfig(set), 'eff.yaml').apiServer, set.apiServer);
  });

  it('reports YAML syntax errors with their position', () => {
    assert.match(errorOf('name: t\nmembers: [\n'), /^x\.yaml:\d+:\d+: invalid YAML/);
  });

  it('names the real file in errors when loading from disk; tls dir is relative to the file', () => {
    const home = tempHome();
    try {
      const path = join(home.dir, 'c.yaml');
      writeFileSync(path, `${THREE}tls: { dir: pki }\n`);
      assert.equal(loadClusterConfig(path).tlsDir, join(home.dir, 'pki'));
      writeFileSync(path, THREE.replace('127.0.1.1', '8.8.8.8'));
      assert.throws(() => loadClusterConfig(path), (e: Error) => e.message.startsWith(`${path}:3:`));
      assert.throws(() => loadClusterConfig(join(home.dir, 'nope.yaml')), /cannot read cluster config/);
    } finally {
      home.remove();
    }
  });

  it('keeps state under K8TS_HOME/<cluster> and derives a stable cluster id per name', () => {
    const p = statePaths('demo', 'data', { K8TS_HOME: '/tmp/kh' });
    assert.deepEqual(p, { root: '/tmp/kh/demo', config: '/tmp/kh/demo/cluster.yaml', logs: '/tmp/kh/demo/logs', pids: '/tmp/kh/demo/pids', data: '/tmp/kh/demo/data' });
    assert.equal(clusterId('demo'), clusterId('demo'));
    assert.notEqual(clusterId('demo'), clusterId('default'));
    assert.ok(Number.isSafeInteger(clusterId('demo')));
  });
});
