/**
 * The process runtime's pure parts: pod address allocation, Kubernetes' command/args rules,
 * image references and the catalogue, /proc parsing, bind-failure recognition, CRI conversion,
 * and the container lifecycle machine's stop escalation on virtual time.
 */
import assert from 'node:assert/strict';
import { SimClock } from '../../../src/sim/clock.js';
import * as cri from '../../../src/kubelet/cri/types.js';
import { mergeArgv, mergeEnv, resolveExecutable } from '../../../src/runtime/process/argv.js';
import { mapContainerPath, scratchLinks } from '../../../src/runtime/process/container-spec.js';
import { startContainerActor } from '../../../src/runtime/process/container-machine.js';
import { exitReason, matchContainer, nanosOf } from '../../../src/runtime/process/cri-convert.js';
import {
  hostPathOf, lookupImage, normalizeImageRef,
} from '../../../src/runtime/process/image-refs.js';
import { IpAllocator, parseLoopbackCidr } from '../../../src/runtime/process/ip-allocator.js';
import { lowPortError, portClashFromOutput } from '../../../src/runtime/process/ports.js';
import { parseProcStat, sumByGroup } from '../../../src/runtime/process/proc-stats.js';
import type { ContainerRecord } from '../../../src/runtime/process/state-store.js';

describe('process runtime: pod addresses', () => {
  it('accepts only ranges inside 127.0.0.0/8 that can hold a pod', () => {
    assert.deepEqual(parseLoopbackCidr('127.2.1.0/24'),
      { base: 0x7f020100, prefixLength: 24, size: 256 });
    assert.throws(() => parseLoopbackCidr('10.0.0.0/24'), /inside 127\.0\.0\.0\/8/);
    assert.throws(() => parseLoopbackCidr('127.2.1.0/31'), /too small/);
    assert.throws(() => parseLoopbackCidr('127.2.1/24'), /not an IPv4 CIDR/);
  });

  it('hands out distinct usable addresses round-robin and never a live one', () => {
    const a = new IpAllocator(parseLoopbackCidr('127.2.1.0/29'));
    const ips = [1, 2, 3, 4, 5, 6].map(() => a.allocate());
    assert.deepEqual(ips, [1, 2, 3, 4, 5, 6].map((n) => `127.2.1.${n}`));
    assert.equal(a.allocate(), undefined, 'a full range has nothing left');
    a.release('127.2.1.2');
    a.release('127.2.1.5');
    assert.equal(a.allocate(), '127.2.1.2', 'continues after the last handed out, wrapping');
    assert.equal(a.allocate(), '127.2.1.5');
    assert.equal(a.allocate(), undefined);
  });

  it('after a restart, skips the live addresses and continues where it stopped', () => {
    const live = ['127.2.1.7', '127.2.1.8'];
    const a = new IpAllocator(parseLoopbackCidr('127.2.1.0/24'), live, '127.2.1.7');
    assert.equal(a.allocate(), '127.2.1.9');
  });
});

describe('process runtime: what a container runs', () => {
  const image = { entrypoint: ['/ep'], cmd: ['default'] };
  it('applies Kubernetes command/args rules over the image entrypoint and cmd', () => {
    assert.deepEqual(mergeArgv(image, [], []), ['/ep', 'default']);
    assert.deepEqual(mergeArgv(image, [], ['a']), ['/ep', 'a']);
    assert.deepEqual(mergeArgv(image, ['sh'], []), ['sh'], 'command drops the image cmd');
    assert.deepEqual(mergeArgv(image, ['sh', '-c'], ['x']), ['sh', '-c', 'x']);
    assert.deepEqual(mergeArgv(undefined, [], []), []);
  });

  it('lets the container env override the image env and sets HOSTNAME', () => {
    const env = mergeEnv(['PATH=/img', 'A=1'], [{ key: 'A', value: '2' }], 'web-0');
    assert.deepEqual(env, { PATH: '/img', A: '2', HOSTNAME: 'web-0' });
  });

  it('looks argv[0] up on the container PATH as exec does', () => {
    const exists = (p: string): boolean => p === '/b/tool' || p === '/work/rel/tool';
    assert.deepEqual(resolveExecutable('tool', '/a:/b', '/', exists), { path: '/b/tool' });
    assert.deepEqual(resolveExecutable('rel/tool', '/a', '/work', exists),
      { path: '/work/rel/tool' });
    assert.deepEqual(resolveExecutable('nope', '/a:/b', '/', exists),
      { error: 'exec: "nope": executable file not found in $PATH' });
  });

  it('maps paths inside mounts to their host paths and skips nested mount links', () => {
    const mounts = [
      { containerPath: '/etc/config', hostPath: '/h/cfg', readonly: true },
      { containerPath: '/etc/config/extra', hostPath: '/h/extra', readonly: false },
      { containerPath: '/data/', hostPath: '/h/data', readonly: false },
    ];
    assert.equal(mapContainerPath('/etc/config/extra/x', mounts), '/h/extra/x');
    assert.equal(mapContainerPath('/data', mounts), '/h/data');
    assert.equal(mapContainerPath('/etc/configx', mounts), '/etc/configx');
    assert.deepEqual(scratchLinks('/r', mounts),
      [['/r/etc/config', '/h/cfg'], ['/r/data', '/h/data']]);
  });
});

describe('process runtime: image references', () => {
  const tools = { busyboxPath: '/usr/bin/busybox', appletDir: '/s/bin' };
  it('normalizes references as the kubelet and containerd spell them', () => {
    assert.equal(normalizeImageRef('busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normalizeImageRef('busybox:1.36'), 'docker.io/library/busybox:1.36');
    assert.equal(normalizeImageRef('registry.k8s.io/pause:3.10'), 'registry.k8s.io/pause:3.10');
    assert.equal(normalizeImageRef('host//usr/bin/env:v1'), 'host/usr/bin/env');
    assert.equal(hostPathOf('docker.io/host/bin/true:latest'), '/bin/true');
  });

  it('resolves busybox to the host busybox with Cmd sh and refuses nginx naming runc', () => {
    const bb = lookupImage('docker.io/library/busybox:1.36', tools);
    assert.equal(bb?.kind, 'supported');
    assert.deepEqual(bb?.kind === 'supported' && bb.config.cmd, ['sh']);
    assert.ok(bb?.kind === 'supported' && bb.config.env[0]?.startsWith('PATH=/s/bin:'));
    const nginx = lookupImage('docker.io/library/nginx:1.25', tools);
    assert.equal(nginx?.kind, 'unsupported');
    assert.match(nginx?.kind === 'unsupported' ? nginx.message : '', /below 1024.*runc/);
    assert.equal(lookupImage('docker.io/library/myapp:1', tools), undefined);
    const noBusybox = { ...tools, busyboxPath: undefined };
    assert.equal(lookupImage('docker.io/library/busybox:1', noBusybox)?.kind, 'unsupported');
  });
});

describe('process runtime: ports and /proc', () => {
  it('refuses ports below the unprivileged start only without root', () => {
    assert.match(lowPortError(80, 1000, 1024) ?? '', /port 80 is below 1024.*needs root/);
    assert.equal(lowPortError(80, 0, 1024), undefined);
    assert.equal(lowPortError(8080, 1000, 1024), undefined);
  });

  it('recognises a bind failure in output and names the port', () => {
    const out = 'starting\nhttpd: bind: Address already in use\n';
    assert.match(portClashFromOutput(out, '127.2.1.3') ?? '',
      /^a port on 127\.2\.1\.3 is already in use/);
    const node = 'Error: listen EADDRINUSE: address already in use :::8080';
    assert.match(portClashFromOutput(node, '127.2.1.3') ?? '',
      /^port 8080 on 127\.2\.1\.3 is already in use/);
    assert.equal(portClashFromOutput('all good', '127.2.1.3'), undefined);
  });

  it('parses /proc/<pid>/stat even when the command name holds spaces and parens', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    const line = `42 (a) b) ${fields.join(' ')}`;
    const stat = parseProcStat(line);
    assert.deepEqual(stat,
      { pid: 42, pgrp: 5, cpuTicks: 14 + 15 + 16 + 17, startTicks: 22, rssPages: 24 });
    const usage = sumByGroup([stat!, { ...stat!, pid: 43 }, { ...stat!, pgrp: 9 }], new Set([5]));
    assert.deepEqual(usage.get(5),
      { cpuNanos: 2n * 62n * 10_000_000n, rssBytes: 2n * 24n * 4096n, processes: 2 });
  });
});

describe('process runtime: CRI view', () => {
  const record = (over: Partial<ContainerRecord>): ContainerRecord => ({
    id: 'abc123', sandboxId: 'sb1', metadata: { name: 'c', attempt: 0 }, image: 'busybox',
    imageId: '', argv: ['sh'], env: [], cwd: '/', logPath: '', mounts: [], labels: { app: 'x' },
    annotations: {}, stdin: false, stdinOnce: false, tty: false, phase: 'exited', createdAtMs: 1,
    startedAtMs: 2, finishedAtMs: 3, exitCode: 0, reason: '', message: '', pid: 0, pidStartTicks: 0,
    ...over,
  });
  it('fills containerd reasons and converts timestamps to nanoseconds', () => {
    assert.equal(exitReason(record({})), 'Completed');
    assert.equal(exitReason(record({ exitCode: 137 })), 'Error');
    assert.equal(exitReason(record({ exitCode: 128, reason: 'StartError' })), 'StartError');
    assert.equal(exitReason(record({ phase: 'running' })), '');
    assert.equal(nanosOf(1_700_000_000_123.5), 1_700_000_000_123_500_000n);
  });

  it('filters by id prefix, sandbox, state and labels together', () => {
    const filter = (f: Partial<cri.ContainerFilter>): cri.ContainerFilter =>
      ({ id: '', podSandboxId: '', labelSelector: {}, ...f });
    assert.ok(matchContainer(record({}), filter({ id: 'abc' })));
    assert.ok(!matchContainer(record({}), filter({ podSandboxId: 'sb2' })));
    const running = { state: cri.ContainerState.CONTAINER_RUNNING };
    assert.ok(!matchContainer(record({}), filter({ state: running })));
    assert.ok(!matchContainer(record({}), filter({ labelSelector: { app: 'y' } })));
  });
});

/** runUntil runs every virtual-time event due up to atMs, then moves the clock there. */
function runUntil(clock: SimClock, atMs: number): void {
  for (let next = clock.nextAtMs(); next !== undefined && next <= atMs; next = clock.nextAtMs()) {
    clock.step();
  }
  clock.advanceTo(atMs);
}

describe('process runtime: the stop sequence', () => {
  it('sends the stop signal, then SIGKILL when the grace period passes', () => {
    const clock = new SimClock();
    const sent: string[] = [];
    const signals = { term: () => sent.push('TERM'), kill: () => sent.push('KILL') };
    const actor = startContainerActor('running', signals, clock);
    actor.send({ type: 'STOP', graceMs: 30_000 });
    assert.deepEqual(sent, ['TERM']);
    runUntil(clock, 29_999);
    assert.deepEqual(sent, ['TERM']);
    runUntil(clock, 30_000);
    assert.deepEqual(sent, ['TERM', 'KILL']);
    actor.send({ type: 'EXITED' });
    assert.equal(actor.getSnapshot().status, 'done');
  });

  it('kills at once for a zero grace, also during a longer grace; exit cancels the timer', () => {
    const clock = new SimClock();
    const sent: string[] = [];
    const signals = { term: () => sent.push('TERM'), kill: () => sent.push('KILL') };
    const a = startContainerActor('running', signals, clock);
    a.send({ type: 'STOP', graceMs: 30_000 });
    a.send({ type: 'STOP', graceMs: 0 });
    assert.deepEqual(sent, ['TERM', 'KILL']);
    sent.length = 0;
    const b = startContainerActor('running', signals, clock);
    b.send({ type: 'STOP', graceMs: 10 });
    b.send({ type: 'EXITED' });
    runUntil(clock, clock.nowMs() + 1000);
    assert.deepEqual(sent, ['TERM'], 'no KILL after the process exited');
  });
});
