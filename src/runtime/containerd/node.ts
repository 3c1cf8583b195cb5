/**
 * startContainerdNode: the containerd runtime of one k8ts node, ready for its kubelet — the
 * built-in images (pause, busybox, nginx) built locally by src/runtime/images, containerd
 * started on the node's state dir and pod range, and every image imported that containerd does
 * not already hold under the same id (a restart re-imports nothing). An image whose recipe
 * cannot build here is logged and skipped; the sandbox image is required.
 */
import type { Clock } from '../../base/clock.js';
import { connectCri, type CriClient } from '../../kubelet/cri/client.js';
import { ensureBuiltinImages, PAUSE_IMAGE_REF, type BuiltImage } from '../images/index.js';
import { ManagedContainerd } from './daemon.js';

/** What a node's runtime process knows about its node. */
export interface ContainerdNodeOptions {
  node: string;
  /** The node's containerd state dir (absolute, short: containerd's sockets live in it). */
  stateDir: string;
  /** The node's pod range inside 100.64.0.0/10. */
  podCidr: string;
  /** The node's bridge (≤ 15 bytes, unique on the host); default "k8ts-<node>". */
  bridge?: string;
  /** Where built image archives are cached (shared by the nodes of a host). */
  imageCacheDir: string;
  log?: (line: string) => void;
  clock?: Clock;
}

/** startContainerdNode builds the images, starts containerd and imports what is missing. */
export async function startContainerdNode(o: ContainerdNodeOptions): Promise<ManagedContainerd> {
  const log = o.log ?? (() => {});
  const images: BuiltImage[] = [];
  for (const outcome of await ensureBuiltinImages(o.imageCacheDir)) {
    if (outcome.ok) images.push(outcome.image);
    else log(`image ${outcome.recipe} unavailable: ${outcome.error.message}`);
  }
  if (!images.some((i) => i.refs.includes(PAUSE_IMAGE_REF))) {
    throw new Error(`the sandbox image ${PAUSE_IMAGE_REF} could not be built; see the log`);
  }
  const mc = await ManagedContainerd.start({
    node: o.node,
    stateDir: o.stateDir,
    podCidr: o.podCidr,
    bridge: o.bridge,
    sandboxImage: PAUSE_IMAGE_REF,
    clock: o.clock,
  });
  const cri = connectCri(mc.socketPath, { deadlineMs: 30_000 });
  try {
    for (const image of images) {
      if (await holds(cri, image)) continue;
      await mc.importImage(image.archivePath);
      log(`imported ${image.refs.join(', ')} (${image.id})`);
    }
  } catch (err) {
    await mc.stop().catch(() => undefined);
    throw err;
  } finally {
    cri.close();
  }
  return mc;
}

/** holds: containerd has every tag of image, each naming the same image id. */
async function holds(cri: CriClient, image: BuiltImage): Promise<boolean> {
  for (const ref of image.refs) {
    const spec = { image: ref, annotations: {}, userSpecifiedImage: '', runtimeHandler: '',
      imageRef: '' };
    const found = (await cri.imageStatus({ image: spec, verbose: false })).image;
    if (found?.id !== image.id) return false;
  }
  return true;
}
