/**
 * The runc runtime's pure cores: CIDR math and address allocation, OCI spec generation (the
 * P1/P2/P10 rules of the runtime study), pod files, user resolution, and command lines. No root
 * needed (the allocator's file shell uses a temp dir).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIpv4, gatewayOf, parseCidr } from '../../../src/runtime/cidr.js';
import { conmonArgv, parseSyncMessage } from '../../../src/runtime/runc/conmon.js';
import { shellQuote, ttyCommandLine } from '../../../src/runtime/runc/exec.js';
import { FileIpAllocator, pickAddress } from '../../../src/runtime/runc/ip-allocator.js';
import { capabilitySet, type ContainerSpecInput, containerSpec, DEFAULT_CAPABILITIES, mergeEnv,
  processArgs } from '../../../src/runtime/runc/oci-spec.js';
import { hostsFile, resolvConfFile } from '../../../src/runtime/runc/pod-files.js';
import { assertPodCidr, vethName } from '../../../src/runtime/runc/pod-network.js';
import { overlayOptions } from '../../../src/runtime/runc/rootfs.js';
import { cgroupParentFor } from '../../../src/runtime/runc/sandboxes.js';
import { resolveUser } from '../../../src/runtime/runc/user.js';

const IMAGE = { entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'],
  env: ['PATH=/usr/bin:/bin', 'NGINX_VERSION=1.25'], workingDir: '/srv' };

/** specInput is a plain container request; tests override what they look at. */
function specInput(over: Partial<ContainerSpecInput> = {}): ContainerSpecInput {
  return {
    command: [], args: [], envs: [], workingDir: '', tty: false, image: IMAGE,
    user: { uid: 0, gid: 0 }, hostname: 'web', netnsPath: '/state/sandboxes/s1/netns',
    cgroupsPath: '/k8ts/s1/c1',
    podFiles: { hosts: '/s/hosts', hostname: '/s/hostname', resolvConf: '/s/resolv.conf' },
    mounts: [], resources: { cpuPeriod: 0, cpuQuota: 0, cpuShares: 0, memoryLimitBytes: 0,
      oomScoreAdj: 0, cpusetCpus: '', cpusetMems: '' },
    privileged: false, addCapabilities: [], dropCapabilities: [], readonlyRootfs: false,
    minOomScoreAdj: 0, swapAccounting: true, annotations: {}, sysctls: {}, ...over,
  };
}

describe('runc runtime: addresses', () => {
  it('parses pod ranges and puts the gateway on the first address', () => {
    const cidr = parseCidr('100.64.1.0/24');
    assert.equal(formatIpv4(gatewayOf(cidr)), '100.64.1.1');
    assert.throws(() => parseCidr('100.64.1.1/24'), /host bits/);
    assert.throws(() => parseCidr('100.64.1.0'), /invalid CIDR/);
  });

  it('accepts only ranges inside 100.64.0.0/10 (the network rule)', () => {
    assert.doesNotThrow(() => assertPodCidr('100.64.1.0/24'));
    for (const bad of ['10.0.0.0/24', '192.168.1.0/24', '172.16.0.0/24', '100.128.0.0/24']) {
      assert.throws(() => assertPodCidr(bad), /outside 100\.64\.0\.0\/10/);
    }
  });

  it('skips network, gateway and broadcast, and does not reuse a freed address at once', () => {
    const cidr = parseCidr('100.64.9.0/29'); // .2 .. .6 usable
    assert.equal(pickAddress(cidr, {}, undefined), '100.64.9.2');
    assert.equal(pickAddress(cidr, { '100.64.9.2': 'a' }, '100.64.9.2'), '100.64.9.3');
    assert.equal(pickAddress(cidr, {}, '100.64.9.3'), '100.64.9.4', 'freed .2 is not reused');
    assert.equal(pickAddress(cidr, {}, '100.64.9.6'), '100.64.9.2', 'wraps around');
    const full = Object.fromEntries(['2', '3', '4', '5', '6'].map((n) => [`100.64.9.${n}`, n]));
    assert.equal(pickAddress(cidr, full, undefined), undefined);
  });

  it('persists leases: a new allocator on the same file never hands out a live address',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'k8ts-ipam-'));
      try {
        const cidr = parseCidr('100.64.9.0/29');
        const first = new FileIpAllocator(join(dir, 'ipam.json'), cidr);
        const [a, b] = await Promise.all([first.allocate('pod-a'), first.allocate('pod-b')]);
        assert.notEqual(a, b);
        assert.equal(await first.allocate('pod-a'), a, 'an owner keeps its address');
        const second = new FileIpAllocator(join(dir, 'ipam.json'), cidr);
        const c = await second.allocate('pod-c');
        assert.ok(c !== a && c !== b);
        assert.deepEqual(await second.retain(new Set(['pod-a'])), [b, c].sort());
        assert.deepEqual(Object.values(await second.leases()), ['pod-a']);
        await second.release('pod-a');
        assert.deepEqual(await second.leases(), {});
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

  it('names host veths within the 15-byte interface limit', () => {
    assert.equal(vethName('0123456789abcdef0123'), 'k8v0123456789ab');
    assert.ok(vethName('f'.repeat(64)).length <= 15);
  });
});

describe('runc runtime: OCI spec generation', () => {
  it('merges CRI command/args with the image entrypoint/cmd as Docker does', () => {
    assert.deepEqual(processArgs([], [], IMAGE), ['/docker-entrypoint.sh', 'nginx', '-g',
      'daemon off;']);
    assert.deepEqual(processArgs([], ['-v'], IMAGE), ['/docker-entrypoint.sh', '-v']);
    assert.deepEqual(processArgs(['sh'], [], IMAGE), ['sh']);
    assert.deepEqual(processArgs(['sh'], ['-c', 'x'], IMAGE), ['sh', '-c', 'x']);
    assert.throws(() => processArgs([], [], { ...IMAGE, entrypoint: [], cmd: [] }),
      /no command/);
  });

  it('overlays CRI env on the image env and always has a PATH', () => {
    assert.deepEqual(mergeEnv(IMAGE.env, [{ key: 'NGINX_VERSION', value: 'x' },
      { key: 'A', value: '1=2' }]), ['PATH=/usr/bin:/bin', 'NGINX_VERSION=x', 'A=1=2']);
    assert.ok(mergeEnv([], []).some((e) => e.startsWith('PATH=/usr/local/sbin')));
  });

  it('applies capability add/drop to Docker\'s default set', () => {
    const caps = capabilitySet(false, ['NET_ADMIN'], ['CAP_CHOWN']);
    assert.ok(caps.includes('CAP_NET_ADMIN'));
    assert.ok(!caps.includes('CAP_CHOWN'));
    assert.deepEqual(capabilitySet(false, ['NET_BIND_SERVICE'], ['ALL']),
      ['CAP_NET_BIND_SERVICE']);
  });

  it('writes a writable root, Docker caps, the pod netns, no rlimits (P2, P10)', () => {
    const spec = containerSpec(specInput());
    assert.equal(spec.root.readonly, false);
    assert.equal(spec.process.terminal, false);
    assert.deepEqual(spec.process.capabilities.bounding, [...DEFAULT_CAPABILITIES]);
    assert.equal('rlimits' in spec.process, false);
    assert.deepEqual(spec.linux.namespaces.find((n) => n.type === 'network'),
      { type: 'network', path: '/state/sandboxes/s1/netns' });
    assert.deepEqual(spec.linux.namespaces.map((n) => n.type).sort(),
      ['ipc', 'mount', 'network', 'pid', 'uts']);
    assert.equal(spec.linux.cgroupsPath, '/k8ts/s1/c1');
    assert.equal(spec.process.cwd, '/srv');
    const dests = spec.mounts.map((m) => m.destination);
    for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/sys', '/etc/hosts',
      '/etc/resolv.conf', '/etc/hostname']) {
      assert.ok(dests.includes(d), `mount ${d}`);
    }
  });

  it('never asks for a negative oom_score_adj (P1)', () => {
    const res = specInput().resources;
    assert.equal(containerSpec(specInput({ resources: { ...res, oomScoreAdj: -997 } }))
      .process.oomScoreAdj, undefined);
    assert.equal(containerSpec(specInput({ resources: { ...res, oomScoreAdj: 1000 } }))
      .process.oomScoreAdj, 1000);
  });

  it('maps CRI resources to cgroup limits, swap capped at the memory limit', () => {
    const res = { ...specInput().resources, memoryLimitBytes: 64 << 20, cpuQuota: 50_000,
      cpuPeriod: 100_000, cpuShares: 512 };
    const spec = containerSpec(specInput({ resources: res }));
    assert.deepEqual(spec.linux.resources.memory, { limit: 64 << 20, swap: 64 << 20 });
    assert.deepEqual(spec.linux.resources.cpu, { shares: 512, quota: 50_000, period: 100_000 });
    const noSwap = containerSpec(specInput({ resources: res, swapAccounting: false }));
    assert.deepEqual(noSwap.linux.resources.memory, { limit: 64 << 20 });
  });

  it('lets a CRI mount replace a default one and renders bind options', () => {
    const spec = containerSpec(specInput({ mounts: [
      { containerPath: '/etc/hosts', hostPath: '/kubelet/hosts', readonly: false,
        propagation: 'private' },
      { containerPath: '/data', hostPath: '/vol', readonly: true, propagation: 'rslave' },
    ] }));
    const hosts = spec.mounts.filter((m) => m.destination === '/etc/hosts');
    assert.deepEqual(hosts, [{ destination: '/etc/hosts', type: 'bind', source: '/kubelet/hosts',
      options: ['rbind', 'private', 'rw'] }]);
    assert.deepEqual(spec.mounts.find((m) => m.destination === '/data')?.options,
      ['rbind', 'rslave', 'ro']);
  });

  it('passes the pod\'s sysctls to runc', () => {
    assert.equal(containerSpec(specInput()).linux.sysctl, undefined);
    assert.deepEqual(containerSpec(specInput({ sysctls: { 'net.ipv4.ping_group_range': '0 1' } }))
      .linux.sysctl, { 'net.ipv4.ping_group_range': '0 1' });
  });

  it('sets TERM for a terminal', () => {
    assert.ok(containerSpec(specInput({ tty: true })).process.env.includes('TERM=xterm'));
  });
});

describe('runc runtime: pod files, users, command lines', () => {
  it('writes resolv.conf from the CRI DNS config only (never the host\'s)', () => {
    assert.equal(resolvConfFile({ servers: ['100.64.0.10'], searches: ['ns.svc', 'svc'],
      options: ['ndots:5'] }), 'search ns.svc svc\nnameserver 100.64.0.10\noptions ndots:5\n');
    assert.equal(resolvConfFile({ servers: [], searches: [], options: [] }), '');
    assert.match(hostsFile('web', '100.64.1.5'),
      /^127\.0\.0\.1\tlocalhost\n[\s\S]*100\.64\.1\.5\tweb\n$/);
  });

  it('resolves image users against the container\'s passwd and group files', () => {
    const files = { passwd: 'root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/bin/sh\n',
      group: 'root:x:0:\nwww-data:x:33:\nstaff:x:50:www-data\n' };
    const base = { supplementalGroups: [] };
    assert.deepEqual(resolveUser({ ...base, imageUser: '' }, files),
      { uid: 0, gid: 0, additionalGids: [0] });
    assert.deepEqual(resolveUser({ ...base, imageUser: 'www-data' }, files),
      { uid: 33, gid: 33, additionalGids: [33, 50] });
    assert.deepEqual(resolveUser({ ...base, imageUser: '1000:staff' }, files),
      { uid: 1000, gid: 50, additionalGids: [50] });
    assert.equal(resolveUser({ ...base, imageUser: 'www-data', runAsUser: 7 }, files).uid, 7);
    assert.throws(() => resolveUser({ ...base, imageUser: 'nobody' }, files), /unable to find/);
  });

  it('validates the cgroup parent and defaults it to /k8ts/<pod>', () => {
    assert.equal(cgroupParentFor('', 'abc'), '/k8ts/abc');
    assert.equal(cgroupParentFor('kubepods/pod1', 'abc'), '/kubepods/pod1');
    assert.throws(() => cgroupParentFor('/a/../../etc', 'abc'), /invalid cgroup parent/);
  });

  it('stacks overlay layers topmost first with per-container upper and work dirs', () => {
    assert.equal(overlayOptions(['/l/top', '/l/base'], '/b'),
      'lowerdir=/l/top:/l/base,upperdir=/b/upper,workdir=/b/work');
    assert.throws(() => overlayOptions([], '/b'), /no layers/);
  });

  it('runs conmon with its exit dir and log path, and reads its sync message', () => {
    const argv = conmonArgv({ id: 'c1', name: 'web', bundle: '/b', runcRoot: '/r',
      runtimePath: '/state/runc-run', logPath: '/logs/0.log', exitDir: '/x', socketDir: '/s',
      stdin: false, tty: false });
    assert.ok(argv.join(' ').includes('-l k8s-file:/logs/0.log --exit-dir /x'));
    assert.ok(argv.includes('--root=/r'));
    assert.deepEqual(argv.slice(argv.indexOf('-r'), argv.indexOf('-r') + 6), ['-r', '/bin/sh',
      '--runtime-arg', '/state/runc-run', '--runtime-arg', '--root=/r']);
    assert.deepEqual(parseSyncMessage('{"data": 42}'), { pid: 42 });
    assert.deepEqual(parseSyncMessage('{"data": -1, "message": "exec failed"}'),
      { error: 'exec failed' });
  });

  it('quotes the tty exec command line for the host shell', () => {
    assert.equal(shellQuote(`it's`), `'it'\\''s'`);
    const spec = containerSpec(specInput({ user: { uid: 33, gid: 33 } }));
    const line = ttyCommandLine(spec, '/k8ts/s1/c1', 1234, ['sh', '-c', 'echo $HOME']);
    assert.match(line, /'\/sys\/fs\/cgroup\/memory\/k8ts\/s1\/c1'/);
    assert.match(line,
      /'nsenter' '-t' '1234' .* '-S' '33' '-G' '33' '--' 'sh' '-c' 'echo \$HOME'$/);
  });
});
