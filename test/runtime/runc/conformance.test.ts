/**
 * The shared CRI conformance suite against the in-house runc runtime, over its real gRPC socket.
 * Root only (netns, overlayfs, runc, bridges); skipped otherwise.
 */
import { removeConformanceCgroups } from '../conformance/cgroups.js';
import { describeCriConformance } from '../conformance/suite.js';
import { BUSYBOX, isRoot, startRuncTestEnv } from './harness.js';

/** This file's pod range and bridge; no other test uses them. */
const POD_CIDR = '100.64.232.0/24';
const BRIDGE = 'k8ts-runc-conf';

if (!isRoot) {
  describe('CRI conformance: runc', () => {
    it('needs root (netns, overlayfs, runc, bridges)', function () {
      this.skip();
    });
  });
} else {
  describeCriConformance('runc', async () => {
    const env = await startRuncTestEnv(POD_CIDR, BRIDGE, [BUSYBOX]);
    return {
      cri: env.cri,
      image: BUSYBOX,
      isolated: true,
      async cleanup() {
        try {
          await env.cleanup();
        } finally {
          await removeConformanceCgroups();
        }
      },
    };
  });
}
