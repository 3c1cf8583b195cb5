/**
 * The CRI conformance suite against the process runtime, through its real gRPC socket as the
 * kubelet reaches it. Needs no root: busybox from the host stands in for the busybox image.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/base/clock.js';
import { connectCri } from '../../../src/kubelet/cri/client.js';
import { startProcessRuntime } from '../../../src/runtime/process/server.js';
import { describeCriConformance } from '../conformance/suite.js';

describeCriConformance('process', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-process-conformance-'));
  const socketPath = join(dir, 'cri.sock');
  const handle = await startProcessRuntime({
    stateDir: join(dir, 'state'), podCidr: '127.77.1.0/24', socketPath, clock: systemClock,
    // Containers through the spawner helper from the first one, as a node runs them after its
    // first seconds (the direct fork is what the other process-runtime tests see first).
    spawnerDelayMs: 0,
  });
  const cri = connectCri(socketPath);
  try {
    await cri.pullImage({ image: { image: 'busybox', annotations: {}, userSpecifiedImage: '',
      runtimeHandler: '', imageRef: '' } });
  } catch (err) {
    cri.close();
    await handle.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    cri, image: 'busybox',
    async cleanup() {
      cri.close();
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
