/**
 * KubeletLogSource, the kubelet server's LogSource: the kubelet's refusals (unknown pod or
 * container → 404; no previous instance, waiting container → 400), the instance choice
 * (current, --previous, the last terminated one while waiting to restart), the runtime's
 * log_path first and the node's <container>/<attempt>.log layout when the runtime forgot the
 * instance, and follow ending when the runtime says the container stopped. Logs are real files
 * under the node layout; the runtime is a stand-in answering ContainerStatus from a table.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ContainerStatus, Pod } from '../../../src/api/core/v1/pod-types.js';
import { systemClock } from '../../../src/base/clock.js';
import { ContainerState, criNotFound, type CriRuntime } from '../../../src/kubelet/cri/types.js';
import { chooseLogInstance } from '../../../src/kubelet/logs/choose.js';
import { podLogDirectory } from '../../../src/kubelet/logs/paths.js';
import { KubeletLogSource } from '../../../src/kubelet/logs/source.js';
import { LogError, type LogRequest } from '../../../src/kubelet/server/types.js';
import { until } from '../../support/controllers.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const line = (s: string): string => `2026-11-23T18:00:00.000000000Z stdout F ${s}\n`;

function pod(status: ContainerStatus): Pod {
  return {
    metadata: { namespace: 'ns', name: 'web', uid: 'u1' },
    spec: { containers: [{ name: 'app' }] },
    status: { containerStatuses: [status] },
  };
}

function cs(state: ContainerStatus['state'], lastId?: string, id = 'test://c1'): ContainerStatus {
  return {
    name: 'app', ready: false, restartCount: 1, image: 'i', imageID: '', containerID: id, state,
    lastState: lastId ? { terminated: { exitCode: 1, containerID: lastId } } : {},
  };
}

describe('KubeletLogSource', () => {
  let root: string;
  let dir: string;
  let current: Pod | undefined;
  /** The runtime's view: container id → [log path, running]. */
  let runtime: Map<string, [string, boolean]>;
  let source: KubeletLogSource;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'k8ts-logsrc-'));
    dir = join(podLogDirectory(root, 'ns', 'web', 'u1'), 'app');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '0.log'), line('first run'));
    await writeFile(join(dir, '1.log'), line('second run'));
    runtime = new Map([['c0', [join(dir, '0.log'), false]], ['c1', [join(dir, '1.log'), true]]]);
    const cri: Pick<CriRuntime, 'containerStatus'> = {
      containerStatus: async ({ containerId }) => {
        const known = runtime.get(containerId);
        if (!known) throw criNotFound('container', containerId);
        const state = known[1] ? ContainerState.CONTAINER_RUNNING : ContainerState.CONTAINER_EXITED;
        return { info: {}, status: { id: containerId, state, createdAt: 0n, startedAt: 0n,
          finishedAt: 0n, exitCode: 0, imageRef: '', reason: '', message: '', labels: {},
          annotations: {}, mounts: [], logPath: known[0], imageId: '' } };
      },
    };
    current = pod(cs({ running: {} }, 'test://c0'));
    source = new KubeletLogSource({ getPod: () => current, cri, clock: systemClock,
      podLogsRoot: root, recheckMs: 20 });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function logs(req: Partial<LogRequest> = {}): Promise<string> {
    const sink = new Sink();
    await source.streamLogs({ namespace: 'ns', pod: 'web', container: 'app', follow: false,
      previous: false, timestamps: false, ...req }, sink, new AbortController().signal);
    return sink.text;
  }

  it('serves the current and the previous instance', async () => {
    assert.equal(await logs(), 'second run\n');
    assert.equal(await logs({ previous: true }), 'first run\n');
  });

  it('finds the previous log by the node layout when the runtime forgot it', async () => {
    runtime.delete('c0');
    assert.equal(await logs({ previous: true }), 'first run\n');
  });

  it('answers the kubelet\'s errors', async () => {
    await assert.rejects(logs({ container: 'nope' }),
      new LogError(404, 'container "nope" not found in pod "web"'));
    current = undefined;
    await assert.rejects(logs(), new LogError(404, 'pod "web" does not exist'));
    current = pod(cs({ running: {} }));
    await assert.rejects(logs({ previous: true }),
      new LogError(400, 'previous terminated container "app" in pod "web" not found'));
    current = pod(cs({ waiting: { reason: 'ContainerCreating' } }, undefined, ''));
    await assert.rejects(logs(), new LogError(400,
      'container "app" in pod "web" is waiting to start: ContainerCreating'));
  });

  it('shows the last terminated instance while the container waits to restart', async () => {
    runtime.set('c1', [join(dir, '1.log'), false]);
    current = pod(cs({ waiting: { reason: 'CrashLoopBackOff' } }, 'test://c1'));
    assert.equal(await logs(), 'second run\n');
    assert.equal(await logs({ previous: true }), 'second run\n');
  });

  it('follows until the runtime reports the container stopped', async () => {
    const sink = new Sink();
    const done = source.streamLogs({ namespace: 'ns', pod: 'web', container: 'app', follow: true,
      previous: false, timestamps: false }, sink, new AbortController().signal);
    await until(() => sink.text === 'second run\n', 'the existing line');
    await writeFile(join(dir, '1.log'), line('more'), { flag: 'a' });
    await until(() => sink.text === 'second run\nmore\n', 'the appended line');
    runtime.set('c1', [join(dir, '1.log'), false]);
    await done;
  });
});

describe('chooseLogInstance', () => {
  it('reads a terminated container that will not restart, and has no previous', () => {
    const s = cs({ terminated: { exitCode: 0, containerID: 'test://c5' } });
    assert.deepEqual(chooseLogInstance('web', s, false, 'app'), { containerId: 'c5',
      newest: true });
    assert.equal(chooseLogInstance('web', undefined, false, 'app'),
      'container "app" in pod "web" is not available');
    const pulling = cs({ waiting: { reason: 'ErrImagePull' } }, undefined, '');
    assert.equal(chooseLogInstance('web', pulling, false, 'app'),
      'container "app" in pod "web" is waiting to start: image can\'t be pulled');
  });
});
