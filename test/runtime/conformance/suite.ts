/**
 * The CRI conformance suite: one set of behavioural tests every k8ts runtime must pass (process,
 * runc, containerd), driven through the CRI gRPC client exactly as the kubelet drives a runtime.
 * Assertions are about behaviour every CRI runtime shares and the kubelet relies on (states,
 * exit codes and reasons, log format, NOT_FOUND for unknown ids, idempotent stop/remove, list
 * filters), never about one runtime's quirks. A runtime's test file calls:
 *
 *   describeCriConformance('runc', async () => ({ cri, image, cleanup, isolated: true }));
 *
 * `isolated: true` adds the tests of what a pod sees inside (hostname, DNS, mounts, pod network,
 * cgroup limits), for runtimes that give pods namespaces and an image rootfs.
 * start() runs once for the whole suite; every sandbox a test makes is stopped and removed after
 * it, pass or fail. Sandboxes use cgroup parent /k8ts-cri-conformance/pod<uid>, DNS server
 * 100.64.0.10 and a temp log directory each.
 */
import type { SuiteContext } from './context.js';
import {
  describeContainerLifecycle,
  describeContainerLists,
  describeContainerStops,
} from './containers.js';
import {
  describeExecSync,
  describeImages,
  describeNotFound,
  describeStats,
} from './exec-images-stats.js';
import { Tracker, type ConformanceEnv } from './fixtures.js';
import { describeIsolation } from './isolation.js';
import { describeRestartsAndLogs, describeStreamingAndKill } from './kubelet-paths.js';
import { describeRuntimeInfo, describeSandboxes } from './sandboxes.js';

export { CONFORMANCE_CGROUP_ROOT, type ConformanceEnv } from './fixtures.js';

/** Upper bound of one conformance test: a stop timeout, a few polls, container starts. */
export const CONFORMANCE_TEST_TIMEOUT_MS = 60_000;

/** describeCriConformance registers the suite for the runtime start() brings up. */
export function describeCriConformance(
  name: string,
  start: () => Promise<ConformanceEnv>,
): void {
  describe(`CRI conformance: ${name}`, function () {
    this.timeout(CONFORMANCE_TEST_TIMEOUT_MS);
    let env: ConformanceEnv | undefined;
    const need = (): ConformanceEnv => {
      if (env === undefined) throw new Error(`runtime ${name} did not start`);
      return env;
    };
    const tracker = new Tracker(() => need().cri, () => need().image);
    const ctx: SuiteContext = {
      cri: () => need().cri,
      image: () => need().image,
      tracker: () => tracker,
    };
    before(async function () {
      this.timeout(5 * CONFORMANCE_TEST_TIMEOUT_MS);
      env = await start();
    });
    afterEach(() => tracker.removeAll());
    after(async function () {
      this.timeout(CONFORMANCE_TEST_TIMEOUT_MS);
      await tracker.removeAll();
      await env?.cleanup();
    });
    describe('runtime', () => describeRuntimeInfo(ctx));
    describe('pod sandboxes', () => describeSandboxes(ctx));
    describe('containers', () => describeContainerLifecycle(ctx));
    describe('container stop and remove', () => describeContainerStops(ctx));
    describe('container lists', () => describeContainerLists(ctx));
    describe('restarts and logs', () => describeRestartsAndLogs(ctx));
    describe('streaming and kill', () => describeStreamingAndKill(ctx));
    describe('ExecSync', () => describeExecSync(ctx));
    describe('unknown ids', () => describeNotFound(ctx));
    describe('images', () => describeImages(ctx));
    describe('stats', () => describeStats(ctx));
    describe('isolation (runc, containerd)', () => {
      describeIsolation(ctx, () => need().isolated === true);
    });
  });
}
