/**
 * The kubelet's log side against a real runtime through its CRI socket (the process runtime,
 * no root needed): `kubectl logs -f` of a running container through KubeletLogSource while the
 * rotator rotates its log twice with the runtime's real ReopenContainerLog — every line the
 * container printed arrives exactly once and in order, and following ends when the container
 * exits. The container stops when the test creates a file, so no step depends on timing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Pod } from '../../../src/api/core/v1/pod-types.js';
import { systemClock } from '../../../src/base/clock.js';
import { connectCri } from '../../../src/kubelet/cri/client.js';
import { ContainerState, type CriRuntime } from '../../../src/kubelet/cri/types.js';
import { ContainerLogRotator } from '../../../src/kubelet/logs/rotator.js';
import { KubeletLogSource } from '../../../src/kubelet/logs/source.js';
import { startProcessRuntime } from '../../../src/runtime/process/server.js';
import { Tracker, waitForState } from '../../runtime/conformance/fixtures.js';
import { until } from '../../support/controllers.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** lineCount is how many complete "line N" lines the client has so far. */
function lineCount(text: string): number {
  return text.split('\n').length - 1;
}

describe('kubelet logs against the process runtime', function () {
  this.timeout(30_000);
  let dir: string;
  let cri: CriRuntime & { close(): void };
  let handle: { close(): Promise<void> };
  let tracker: Tracker;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-logs-process-'));
    const socketPath = join(dir, 'cri.sock');
    handle = await startProcessRuntime({ stateDir: join(dir, 'state'),
      podCidr: '127.78.1.0/24', socketPath, clock: systemClock });
    cri = connectCri(socketPath);
    tracker = new Tracker(() => cri, () => 'busybox');
    await cri.pullImage({ image: { image: 'busybox', annotations: {}, userSpecifiedImage: '',
      runtimeHandler: '', imageRef: '' } });
  });
  after(async () => {
    await tracker?.removeAll();
    cri?.close();
    await handle?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('follows a container across two rotations and ends when it exits', async () => {
    const stop = join(dir, 'stop');
    const sb = await tracker.runSandbox('talker');
    const c = await tracker.startContainer(sb, 'app', { command: ['sh', '-c',
      `i=0; while [ ! -e ${stop} ]; do echo "line $i"; i=$((i+1)); sleep 0.005; done`] });
    const pod: Pod = {
      metadata: { namespace: 'conformance', name: 'talker', uid: 'u' },
      spec: { containers: [{ name: 'app' }] },
      status: { containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'busybox',
        imageID: '', containerID: `k8ts-process://${c.id}`, state: { running: {} } }] },
    };
    const source = new KubeletLogSource({ getPod: () => pod, cri, clock: systemClock,
      podLogsRoot: dir, recheckMs: 50 });
    const rotator = new ContainerLogRotator({ cri, clock: systemClock, wallMs: () => Date.now(),
      policy: { maxSizeBytes: 1, maxFiles: 5, compress: true } });
    const sink = new Sink();
    const done = source.streamLogs({ namespace: 'conformance', pod: 'talker', container: 'app',
      follow: true, previous: false, timestamps: false }, sink, new AbortController().signal);
    await until(() => lineCount(sink.text) >= 20, '20 lines');
    await rotator.rotateAll();
    await until(() => lineCount(sink.text) >= 60, '40 more lines after the first rotation');
    await rotator.rotateAll();
    await until(() => lineCount(sink.text) >= 100, '40 more lines after the second rotation');
    await writeFile(stop, '');
    await waitForState(cri, c.id, ContainerState.CONTAINER_EXITED);
    await done;
    const lines = sink.text.split('\n');
    assert.equal(lines.pop(), '', 'the output ends with a whole line');
    assert.deepEqual(lines, lines.map((_, i) => `line ${i}`), 'every line once, in order');
    const files = await readdir(join(sb.logDirectory, 'app'));
    assert.equal(files.length, 3, `the log and two rotated files: ${files.join(' ')}`);
  });
});
