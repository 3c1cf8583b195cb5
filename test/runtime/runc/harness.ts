/**
 * Test harness for the runc runtime: starts it on a temp state dir with its own pod range and
 * bridge, serving CRI on a temp socket, and hands back the gRPC client the kubelet would use.
 * cleanup() purges everything (pods, mounts, netns, veths, bridge, state, cgroups, images dir).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/base/clock.js';
import { connectCri, type CriClient } from '../../../src/kubelet/cri/client.js';
import { StreamingServer } from '../../../src/runtime/streaming/server.js';
import { startRuncRuntime, type RuncRuntimeHandle } from '../../../src/runtime/runc/start.js';

/** The busybox reference the images builder provides. */
export const BUSYBOX = 'docker.io/library/busybox:1.36';
/** The nginx reference the images builder provides. */
export const NGINX = 'docker.io/library/nginx:1.25';

/** isRoot: these tests need root (netns, overlay, runc, bridges). */
export const isRoot = process.getuid?.() === 0;

/** A started runtime for one test file. */
export interface RuncTestEnv {
  dir: string;
  socketPath: string;
  stateDir: string;
  imageDir: string;
  podCidr: string;
  bridge: string;
  handle: RuncRuntimeHandle;
  cri: CriClient;
  /** Restarts the runtime on the same state (recovery), keeping pods running. */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/** startRuncTestEnv starts the runtime; podCidr and bridge must be unique per test file. */
export async function startRuncTestEnv(podCidr: string, bridge: string, images: string[]):
  Promise<RuncTestEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-runc-'));
  const stateDir = join(dir, 'state');
  const imageDir = join(dir, 'images');
  const socketPath = join(dir, 'cri.sock');
  const start = (): Promise<RuncRuntimeHandle> => startRuncRuntime({
    stateDir, imageDir, podCidr, bridge, socketPath, clock: systemClock,
    streaming: async (runtime) => {
      const server = new StreamingServer({ host: '127.0.0.1', runtime, clock: systemClock });
      await server.start();
      return server;
    },
  });
  let handle: RuncRuntimeHandle;
  try {
    handle = await start();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const env: RuncTestEnv = {
    dir, socketPath, stateDir, imageDir, podCidr, bridge, handle,
    cri: connectCri(socketPath, { deadlineMs: 60_000 }),
    async restart() {
      env.cri.close();
      await env.handle.close();
      env.handle = await start();
      env.cri = connectCri(socketPath, { deadlineMs: 60_000 });
    },
    async cleanup() {
      env.cri.close();
      try {
        await env.handle.purge();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    for (const image of images) {
      await env.cri.pullImage({ image: { image, annotations: {}, userSpecifiedImage: '',
        runtimeHandler: '', imageRef: '' } });
    }
  } catch (err) {
    await env.cleanup();
    throw err;
  }
  return env;
}
