/**
 * Process entry of one node's container runtime, the CRI endpoint its kubelet talks to:
 *   node --import tsx src/cluster/runtime-main.ts --config <state>/cluster.yaml --node w1
 * The node's `runtime:` picks the implementation — process (no root), runc (root: pod network
 * namespaces on a bridge k8ts creates), containerd (root: Debian's containerd, managed as a child,
 * with the local images imported) — served on <state>/nodes/<node>/cri.sock (for containerd a
 * link to its own socket), with a CRI streaming server on the node's address for exec, attach
 * and port-forward (containerd brings its own). SIGTERM stops serving and leaves the pods of the
 * in-house runtimes running, as stopping containerd's daemon leaves its shims; a runtime started
 * again on the same state dir adopts them.
 */
import { rmSync, symlinkSync } from 'node:fs';
import { systemClock } from '../base/clock.js';
import { systemWallMs } from '../base/wall-clock.js';
import { startContainerdNode } from '../runtime/containerd/node.js';
import { startProcessRuntime } from '../runtime/process/server.js';
import { startRuncRuntime } from '../runtime/runc/start.js';
import { StreamingServer } from '../runtime/streaming/server.js';
import type { StreamingRuntime } from '../runtime/streaming/types.js';
import { k8tsHome } from './config.js';
import { bridgeName, nodePaths } from './node-paths.js';
import type { NodeSpec } from './node-config.js';
import { nodeFromArgs } from './node-args.js';
import { mainLog, runMain } from './process-main.js';

/** A started runtime: close() stops serving (pods keep running). */
interface Served {
  close(): Promise<void>;
}

runMain('runtime', async () => {
  const { cfg, node } = nodeFromArgs('runtime-main');
  const paths = nodePaths(cfg, node.name);
  const served = await serve(node, paths, cfg.name);
  mainLog(`${node.runtime} runtime of ${node.name} serving CRI on ${paths.criSocket} (pods ${node.podCidr})`);
  return () => served.close();
});

async function serve(node: NodeSpec, paths: ReturnType<typeof nodePaths>, cluster: string): Promise<Served> {
  const streaming = async (runtime: StreamingRuntime): Promise<StreamingServer> => {
    const server = new StreamingServer({ host: node.address, runtime, clock: systemClock, log: mainLog });
    mainLog(`streaming server at ${await server.start()}`);
    return server;
  };
  switch (node.runtime) {
    case 'process': {
      const h = await startProcessRuntime({
        stateDir: paths.runtimeDir, podCidr: node.podCidr, socketPath: paths.criSocket,
        clock: systemClock, wallMs: systemWallMs, streamingHost: node.address,
      });
      mainLog(`streaming server at ${h.streamingUrl}`);
      return h;
    }
    case 'runc':
      return startRuncRuntime({
        stateDir: paths.runtimeDir, imageDir: `${k8tsHome()}/images`, podCidr: node.podCidr,
        bridge: bridgeName(cluster, node.name), socketPath: paths.criSocket, clock: systemClock,
        wallMs: systemWallMs, streaming,
      });
    case 'containerd': {
      const mc = await startContainerdNode({
        node: node.name, bridge: bridgeName(cluster, node.name), stateDir: paths.runtimeDir, podCidr: node.podCidr,
        imageCacheDir: `${k8tsHome()}/images`, log: mainLog, clock: systemClock,
      });
      // The kubelet dials the node's CRI path; containerd's own socket lives in its state dir.
      rmSync(paths.criSocket, { force: true });
      symlinkSync(mc.socketPath, paths.criSocket);
      // containerd dying takes this process with it, so `k8ts status` shows the runtime down.
      let stopping = false;
      void mc.exited.then((code) => {
        if (stopping) return;
        mainLog(`containerd exited (code ${String(code)})`);
        process.exit(1);
      });
      return { close: () => { stopping = true; return mc.stop({ removePods: false }); } };
    }
  }
}
