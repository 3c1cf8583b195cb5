/**
 * The CRI conformance suite against Debian's containerd, managed by k8ts (ManagedContainerd)
 * with images built locally and imported with ctr — the reference the in-house runtimes are
 * measured against. Root only (containerd, overlayfs, bridges); skipped otherwise.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectCri } from '../../src/kubelet/cri/client.js';
import { ManagedContainerd } from '../../src/runtime/containerd/daemon.js';
import { buildImage } from '../../src/runtime/images/build.js';
import { PAUSE_IMAGE_REF } from '../../src/runtime/images/index.js';
import { removeConformanceCgroups } from './conformance/cgroups.js';
import { describeCriConformance } from './conformance/suite.js';

/** The busybox reference the images builder provides. */
const BUSYBOX = 'docker.io/library/busybox:1.36';

/** This test's pod range and node name (bridge k8ts-ctrd-conf); no other test uses them. */
const POD_CIDR = '100.64.241.0/24';
const NODE = 'ctrd-conf';

const isRoot = process.getuid?.() === 0;

if (!isRoot) {
  describe('CRI conformance: containerd', () => {
    it('needs root (containerd, overlayfs, bridges)', function () {
      this.skip();
    });
  });
} else {
  describeCriConformance('containerd', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-ctrd-'));
    const cacheDir = join(dir, 'images');
    const pause = await buildImage(PAUSE_IMAGE_REF, cacheDir);
    const busybox = await buildImage(BUSYBOX, cacheDir);
    const mc = await ManagedContainerd.start({
      node: NODE,
      stateDir: join(dir, 'ctrd'),
      podCidr: POD_CIDR,
      sandboxImage: PAUSE_IMAGE_REF,
      imageArchives: [pause.archivePath, busybox.archivePath],
    }).catch(async (err: unknown) => {
      await rm(dir, { recursive: true, force: true });
      throw err;
    });
    const cri = connectCri(mc.socketPath, { deadlineMs: 30_000 });
    return {
      cri,
      image: BUSYBOX,
      isolated: true,
      async cleanup() {
        cri.close();
        try {
          await mc.purge();
        } finally {
          await rm(dir, { recursive: true, force: true });
          await removeConformanceCgroups();
        }
      },
    };
  });
}
