/**
 * ImageChecks: one node's ImageStatus and PullImage calls shared among its pod workers. In a
 * burst every new pod's worker asks the runtime whether its image is present (ImageStatus,
 * images.ts) within a few milliseconds of the others: 50 pods of one image on a node were 50
 * identical round trips, one in six of the CRI calls of a pod start. Here a question already
 * in flight for the same image is joined, and an answer "present" is reused by questions asked
 * within freshMs of its arrival, so a burst asks about once per image. A pull already in flight
 * for the same image is joined too (the runtime would fetch the same image twice).
 *
 * Why a reused answer is safe: the kubelet never removes an image itself, and an image removed
 * from under it (crictl rmi) within freshMs fails CreateContainer (CreateContainerError; the next
 * sync asks again once the answer is stale) exactly as it would when removed between a fresh
 * ImageStatus and the create. "Absent" is never reused: that path pulls, and a pull's outcome is
 * the answer the next question gets. Bounded: one entry per image, at most IMAGES_MAX.
 */
import { assert } from '../../base/assert.js';
import type {
  CriRuntime, ImageSpec, ImageStatusResponse, PodSandboxConfig, PullImageResponse,
} from '../cri/types.js';

/** How long an answer "present" is reused: longer than a burst's image checks take to go out,
 *  short enough that a removed image is noticed on the next sync but one. */
export const IMAGE_STATUS_FRESH_MS = 2_000;

/** Images remembered at once; past it the oldest is forgotten (it is asked about again). */
export const IMAGES_MAX = 256;

/** An image's shared state: the question or pull in flight, or the last "present" answer. */
interface Entry {
  asking?: Promise<ImageStatusResponse>;
  pulling?: Promise<PullImageResponse>;
  present?: { answer: ImageStatusResponse; atMs: number };
}

/** imageSpecOf: the CRI ImageSpec the kubelet sends for an image reference. */
export function imageSpecOf(image: string): ImageSpec {
  return { image, annotations: {}, userSpecifiedImage: image, runtimeHandler: '', imageRef: '' };
}

/** ImageChecks — see the file comment. */
export class ImageChecks {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly cri: Pick<CriRuntime, 'imageStatus' | 'pullImage'>,
    private readonly nowMs: () => number,
    private readonly freshMs = IMAGE_STATUS_FRESH_MS,
  ) {
    assert(freshMs >= 0, `ImageChecks: freshMs must be >= 0, got ${freshMs}`);
  }

  /** status answers ImageStatus for image: a fresh "present", the question in flight, or a
   *  new question. */
  status(image: string): Promise<ImageStatusResponse> {
    const e = this.entry(image);
    const present = e.present;
    if (present !== undefined && this.nowMs() - present.atMs <= this.freshMs) {
      return Promise.resolve(present.answer);
    }
    if (e.asking !== undefined) return e.asking;
    const asking = this.cri.imageStatus({ image: imageSpecOf(image), verbose: false })
      .then((answer) => {
        if (answer.image !== undefined) e.present = { answer, atMs: this.nowMs() };
        else delete e.present;
        return answer;
      })
      .finally(() => {
        if (e.asking === asking) delete e.asking;
      });
    e.asking = asking;
    return asking;
  }

  /** pull pulls image, joining a pull of it already in flight. The next status question asks
   *  the runtime again (the pulled image's details come from it, not from the pull). */
  pull(image: string, sandboxConfig: PodSandboxConfig): Promise<PullImageResponse> {
    const e = this.entry(image);
    if (e.pulling !== undefined) return e.pulling;
    const pulling = this.cri.pullImage({ image: imageSpecOf(image), sandboxConfig })
      .finally(() => {
        if (e.pulling === pulling) delete e.pulling;
      });
    e.pulling = pulling;
    delete e.present;
    return pulling;
  }

  /** size: images remembered (for tests of the bound). */
  get size(): number {
    return this.entries.size;
  }

  /** entry is image's entry, made (and the oldest dropped past IMAGES_MAX) when new. */
  private entry(image: string): Entry {
    let e = this.entries.get(image);
    if (e !== undefined) return e;
    if (this.entries.size >= IMAGES_MAX) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    e = {};
    this.entries.set(image, e);
    return e;
  }
}
