/**
 * Child entry of the node burst micro (node-burst-micro.ts): the process runtime served on a CRI
 * socket, as runtime-main.ts serves it for a `k8ts up` node, without a cluster config.
 *
 *   node --import tsx bench/lib/node-burst-runtime.ts <stateDir> <podCidr> <socket>
 *
 * SIGTERM closes it (the containers keep running; the micro removes its pods first).
 */
import { systemClock } from '../../src/base/clock.js';
import { systemWallMs } from '../../src/base/wall-clock.js';
import { startProcessRuntime } from '../../src/runtime/process/server.js';

const [stateDir, podCidr, socketPath] = process.argv.slice(2);
if (stateDir === undefined || podCidr === undefined || socketPath === undefined) {
  throw new Error('usage: node-burst-runtime.ts <stateDir> <podCidr> <socket>');
}
const h = await startProcessRuntime({ stateDir, podCidr, socketPath, clock: systemClock,
  wallMs: systemWallMs, spawnerDelayMs: 0 });
process.stdout.write('serving\n');
process.on('SIGTERM', () => {
  void h.close().then(() => process.exit(0), () => process.exit(1));
});
