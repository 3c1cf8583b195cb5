/**
 * Container log rotation: the planner's decisions from a file listing (under the limit nothing;
 * leftovers removed, oldest beyond maxFiles removed, older rotated files gzipped, the current
 * log renamed with a UTC stamp that never collides), and the rotator on a real disk with a real
 * CriLogWriter behind the CRI's ReopenContainerLog: lines before and after each rotation end up
 * where they belong, a refused reopen is undone.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { systemClock } from '../../../src/base/clock.js';
import { SimClock } from '../../../src/sim/clock.js';
import { ContainerState, criPrecondition } from '../../../src/kubelet/cri/types.js';
import type { CriRuntime } from '../../../src/kubelet/cri/types.js';
import { rotationPolicyFromConfig } from '../../../src/kubelet/logs/rotation-config.js';
import { planRotation, type RotationPolicy } from '../../../src/kubelet/logs/rotation-plan.js';
import { ContainerLogRotator } from '../../../src/kubelet/logs/rotator.js';
import { until } from '../../support/controllers.js';
import { decodeCriLog, joinCriLines } from '../../../src/runtime/logs/decode.js';
import { CriLogWriter } from '../../../src/runtime/logs/writer.js';

const NOW = Date.UTC(2026, 10, 23, 18, 30, 5);
const POLICY: RotationPolicy = { maxSizeBytes: 100, maxFiles: 4, compress: true };
const L = '/logs/p/c/0.log';

describe('log rotation planner', () => {
  it('does nothing while the log is under the limit', () => {
    assert.deepEqual(planRotation({ logPath: L, sizeBytes: 99, rotatedPaths: [`${L}.x.tmp`],
      nowWallMs: NOW }, POLICY), []);
  });

  it('cleans leftovers, drops the oldest, compresses, then rotates', () => {
    const rotated = ['20261123-100000.gz', '20261123-110000.gz', '20261123-120000',
      '20261123-120000.gz', '20261123-130000', '20261123-130000.gz.tmp'].map((s) => `${L}.${s}`);
    const plan = planRotation({ logPath: L, sizeBytes: 100, rotatedPaths: rotated,
      nowWallMs: NOW }, POLICY);
    assert.deepEqual(plan, [
      { kind: 'remove', path: `${L}.20261123-120000`, why: 'leftover' },
      { kind: 'remove', path: `${L}.20261123-130000.gz.tmp`, why: 'leftover' },
      { kind: 'remove', path: `${L}.20261123-100000.gz`, why: 'excess' },
      { kind: 'remove', path: `${L}.20261123-110000.gz`, why: 'excess' },
      { kind: 'compress', path: `${L}.20261123-130000`, to: `${L}.20261123-130000.gz` },
      { kind: 'rotate', from: L, to: `${L}.20261123-183005` },
    ]);
  });

  it('never reuses a rotated name within one second', () => {
    const plan = planRotation({ logPath: L, sizeBytes: 500, nowWallMs: NOW,
      rotatedPaths: [`${L}.20261123-183005.gz`] }, { ...POLICY, compress: false });
    assert.deepEqual(plan.at(-1), { kind: 'rotate', from: L, to: `${L}.20261123-183005-1` });
  });

  it('refuses a policy that keeps fewer than two files', () => {
    assert.throws(() => planRotation({ logPath: L, sizeBytes: 0, rotatedPaths: [],
      nowWallMs: NOW }, { ...POLICY, maxFiles: 1 }), /must be > 1/);
  });
});

describe('log rotation config', () => {
  it('reads containerLogMaxSize and containerLogMaxFiles as the kubelet does', () => {
    assert.deepEqual(rotationPolicyFromConfig({}),
      { policy: { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5, compress: true } });
    assert.deepEqual(rotationPolicyFromConfig({ containerLogMaxSize: '200Ki',
      containerLogMaxFiles: 2 }), { policy: { maxSizeBytes: 204800, maxFiles: 2,
      compress: true } });
    assert.deepEqual(rotationPolicyFromConfig({ containerLogMaxSize: '-1' }), { disabled: true });
    assert.deepEqual(rotationPolicyFromConfig({ containerLogMaxFiles: 1 }),
      { error: 'invalid MaxFiles 1, must be > 1' });
    assert.match((rotationPolicyFromConfig({ containerLogMaxSize: 'ten' }) as { error: string })
      .error, /^failed to parse container log max size "ten": quantities must match/);
  });
});

/** The slice of the CRI the rotator calls, backed by one real writer. */
function runtimeFor(id: string, writer: CriLogWriter, refuseReopen: () => boolean):
  Pick<CriRuntime, 'listContainers' | 'containerStatus' | 'reopenContainerLog'> {
  return {
    listContainers: async () => ({ containers: [{ id, podSandboxId: 's', imageRef: '',
      state: ContainerState.CONTAINER_RUNNING, createdAt: 0n, labels: {}, annotations: {},
      imageId: '' }] }),
    containerStatus: async () => ({ info: {}, status: { id, state: ContainerState.CONTAINER_RUNNING,
      createdAt: 0n, startedAt: 0n, finishedAt: 0n, exitCode: 0, imageRef: '', reason: '',
      message: '', labels: {}, annotations: {}, mounts: [], logPath: writer.logPath,
      imageId: '' } }),
    reopenContainerLog: async () => {
      if (refuseReopen()) throw criPrecondition('container not running');
      await writer.reopen();
      return {};
    },
  };
}

describe('ContainerLogRotator', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-rotate-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates a live log, gzips older files, keeps maxFiles with their lines intact', async () => {
    const logPath = join(dir, 'c', '0.log');
    const writer = await CriLogWriter.open({ logPath, wallMs: () => NOW });
    let wallMs = NOW;
    const rotator = new ContainerLogRotator({ cri: runtimeFor('c1', writer, () => false),
      clock: systemClock, wallMs: () => wallMs, policy: { ...POLICY, maxFiles: 3 } });
    const written: string[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) {
        written.push(`r${round} line ${i}`);
        await writer.write('stdout', Buffer.from(`r${round} line ${i}\n`));
      }
      await writer.flushed();
      await rotator.rotateAll();
      wallMs += 60_000;
    }
    await writer.close();
    const files = (await readdir(join(dir, 'c'))).sort();
    assert.deepEqual(files, ['0.log', '0.log.20261123-183205.gz', '0.log.20261123-183305']);
    const kept = await Promise.all(files.map(async (f) => {
      const raw = await readFile(join(dir, 'c', f));
      return joinCriLines(decodeCriLog(f.endsWith('.gz') ? gunzipSync(raw) : raw).entries).stdout;
    }));
    // maxFiles 3: the two newest rotations survive, the current log is empty.
    assert.equal(Buffer.concat(kept).toString(), `${written.slice(6).join('\n')}\n`);
  });

  it('renames the log back when the runtime refuses to reopen', async () => {
    const logPath = join(dir, 'c', '0.log');
    const writer = await CriLogWriter.open({ logPath, wallMs: () => NOW });
    await writer.write('stdout', Buffer.from(`${'x'.repeat(200)}\n`));
    await writer.flushed();
    const logs: string[] = [];
    const rotator = new ContainerLogRotator({ cri: runtimeFor('c1', writer, () => true),
      clock: systemClock, wallMs: () => NOW, policy: POLICY, log: (l) => logs.push(l) });
    await rotator.rotateAll();
    await writer.write('stdout', Buffer.from('after\n'));
    await writer.close();
    assert.deepEqual(await readdir(join(dir, 'c')), ['0.log']);
    assert.match(logs.join('\n'), /container not running/);
    const text = joinCriLines(decodeCriLog(await readFile(logPath)).entries).stdout.toString();
    assert.ok(text.endsWith('after\n'));
  });

  it('runs a round every period of its clock until stopped', async () => {
    const logPath = join(dir, 'c', '0.log');
    const writer = await CriLogWriter.open({ logPath, wallMs: () => NOW });
    await writer.write('stdout', Buffer.from(`${'x'.repeat(200)}\n`));
    await writer.flushed();
    const clock = new SimClock();
    const rotator = new ContainerLogRotator({ cri: runtimeFor('c1', writer, () => false), clock,
      wallMs: () => NOW, policy: POLICY, periodMs: 10_000 });
    rotator.start();
    clock.advanceTo(9_999);
    assert.equal(clock.nextAtMs(), 10_000);
    assert.ok(clock.step(), 'the period elapses');
    await until(async () => (await readdir(join(dir, 'c'))).length === 2, 'the first rotation');
    await rotator.stop();
    assert.equal(clock.step(), false, 'stop() left no live timer');
    await writer.close();
  });

  it('leaves small logs alone', async () => {
    const logPath = join(dir, 'c', '0.log');
    await writeFile(join(dir, 'keep'), '');
    const writer = await CriLogWriter.open({ logPath, wallMs: () => NOW });
    await writer.write('stdout', Buffer.from('small\n'));
    await writer.flushed();
    const rotator = new ContainerLogRotator({ cri: runtimeFor('c1', writer, () => false),
      clock: systemClock, wallMs: () => NOW, policy: POLICY });
    await rotator.rotateAll();
    await writer.close();
    assert.deepEqual(await readdir(join(dir, 'c')), ['0.log']);
  });
});
