/**
 * ImageChecks shares a node's image questions: concurrent questions about one image are one
 * ImageStatus call, a "present" answer is reused only while fresh, "absent" never, a pull in
 * flight is joined and makes the next question ask again, failures are not kept, and the
 * images remembered are bounded.
 */
import assert from 'node:assert/strict';
import type {
  ImageStatusRequest, ImageStatusResponse, PodSandboxConfig, PullImageRequest,
  PullImageResponse,
} from '../../../src/kubelet/cri/types.js';
import {
  IMAGE_STATUS_FRESH_MS, IMAGES_MAX, ImageChecks,
} from '../../../src/kubelet/pod/image-checks.js';

/** A runtime whose answers the test releases by hand, counting the calls. */
function fakeCri() {
  const present = new Set<string>();
  const statusCalls: string[] = [];
  const pullCalls: string[] = [];
  const held: (() => void)[] = [];
  let failNext = false;
  const later = <T>(f: () => T): Promise<T> => new Promise((resolve, reject) => {
    const fail = failNext;
    failNext = false;
    held.push(() => (fail ? reject(new Error('runtime down')) : resolve(f())));
  });
  return {
    present, statusCalls, pullCalls,
    failNext: () => { failNext = true; },
    /** release answers every call made so far. */
    release: async () => {
      for (const f of held.splice(0)) f();
      await new Promise((r) => setImmediate(r));
    },
    cri: {
      imageStatus: (req: ImageStatusRequest): Promise<ImageStatusResponse> => {
        const image = req.image?.image ?? '';
        statusCalls.push(image);
        return later(() => ({
          image: present.has(image) ? { id: `sha256:${image}` } : undefined, info: {},
        }) as ImageStatusResponse);
      },
      pullImage: (req: PullImageRequest): Promise<PullImageResponse> => {
        const image = req.image?.image ?? '';
        pullCalls.push(image);
        return later(() => {
          present.add(image);
          return { imageRef: `sha256:${image}` };
        });
      },
    },
  };
}

const CONFIG = {} as PodSandboxConfig;

describe('kubelet ImageChecks', () => {
  it('asks once for concurrent questions about one image, once per image', async () => {
    const f = fakeCri();
    f.present.add('busybox');
    const checks = new ImageChecks(f.cri, () => 0);
    const answers = Promise.all([...Array(50)].map(() => checks.status('busybox'))
      .concat([checks.status('nginx')]));
    await f.release();
    const got = await answers;
    assert.deepEqual(f.statusCalls, ['busybox', 'nginx']);
    assert.equal(got.filter((a) => a.image?.id === 'sha256:busybox').length, 50);
    assert.equal(got[50]?.image, undefined);
  });

  it('reuses "present" only while fresh, and never "absent"', async () => {
    const f = fakeCri();
    f.present.add('busybox');
    let now = 1_000;
    const checks = new ImageChecks(f.cri, () => now);
    const first = checks.status('busybox');
    await f.release();
    await first;
    now += IMAGE_STATUS_FRESH_MS;
    assert.equal((await checks.status('busybox')).image?.id, 'sha256:busybox');
    assert.equal(f.statusCalls.length, 1, 'a fresh answer is reused');
    now += 1;
    const stale = checks.status('busybox');
    await f.release();
    await stale;
    assert.equal(f.statusCalls.length, 2, 'a stale answer is asked again');
    const absent = checks.status('nginx');
    await f.release();
    assert.equal((await absent).image, undefined);
    const again = checks.status('nginx');
    await f.release();
    await again;
    assert.deepEqual(f.statusCalls.slice(2), ['nginx', 'nginx'], '"absent" is never reused');
  });

  it('joins a pull in flight, and asks again after it', async () => {
    const f = fakeCri();
    const checks = new ImageChecks(f.cri, () => 0);
    const pulls = Promise.all([checks.pull('busybox', CONFIG), checks.pull('busybox', CONFIG)]);
    await f.release();
    assert.deepEqual((await pulls).map((r) => r.imageRef), ['sha256:busybox', 'sha256:busybox']);
    assert.deepEqual(f.pullCalls, ['busybox']);
    const after = checks.status('busybox');
    await f.release();
    assert.equal((await after).image?.id, 'sha256:busybox');
    assert.deepEqual(f.statusCalls, ['busybox']);
  });

  it('keeps no failure: the next question asks again', async () => {
    const f = fakeCri();
    f.present.add('busybox');
    const checks = new ImageChecks(f.cri, () => 0);
    f.failNext();
    const failed = Promise.all([checks.status('busybox'), checks.status('busybox')]);
    const rejected = assert.rejects(failed, /runtime down/);
    await f.release();
    await rejected;
    const next = checks.status('busybox');
    await f.release();
    assert.equal((await next).image?.id, 'sha256:busybox');
    assert.equal(f.statusCalls.length, 2);
  });

  it('remembers at most IMAGES_MAX images', async () => {
    const f = fakeCri();
    const checks = new ImageChecks(f.cri, () => 0);
    const asked = [...Array(IMAGES_MAX + 10)].map((_, i) => checks.status(`img${i}`));
    await f.release();
    await Promise.all(asked);
    assert.equal(checks.size, IMAGES_MAX);
  });
});
