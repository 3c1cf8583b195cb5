/**
 * Conformance: ExecSync (output, exit code, timeout), NOT_FOUND for unknown container ids,
 * ImageService basics (present image, missing image = empty status) and ContainerStats.
 */
import assert from 'node:assert/strict';
import { status as grpcStatus } from '@grpc/grpc-js';
import { ContainerState } from '../../../src/kubelet/cri/types.js';
import type { SuiteContext } from './context.js';
import { criRejection, SLEEP_FOREVER, waitForState } from './fixtures.js';

const UNKNOWN_ID = 'c0ffee0000000000000000000000000000000000000000000000000000000bad';

/** startSleeper runs a sandbox with one long-running container for exec and stats. */
async function startSleeper(ctx: SuiteContext, name: string) {
  const sb = await ctx.tracker().runSandbox(name);
  const c = await ctx.tracker().startContainer(sb, 'main', {
    command: ['sh', '-c'],
    args: SLEEP_FOREVER,
    envs: [{ key: 'FROM_CONFIG', value: 'yes' }],
  });
  await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_RUNNING);
  return { sb, c };
}

/** describeExecSync: the exec probes' RPC. */
export function describeExecSync(ctx: SuiteContext): void {
  it('ExecSync returns stdout, stderr and the exit code, with the container env', async () => {
    const { c } = await startSleeper(ctx, 'exec');
    const res = await ctx.cri().execSync({
      containerId: c.id,
      cmd: ['sh', '-c', 'echo "out $FROM_CONFIG"; echo err >&2; exit 4'],
      timeout: 10n,
    });
    assert.equal(Buffer.from(res.stdout).toString(), 'out yes\n');
    assert.equal(Buffer.from(res.stderr).toString(), 'err\n');
    assert.equal(res.exitCode, 4);
    const ok = await ctx.cri().execSync({ containerId: c.id, cmd: ['true'], timeout: 10n });
    assert.equal(ok.exitCode, 0);
  });

  it('ExecSync past its timeout fails with DEADLINE_EXCEEDED', async () => {
    const { c } = await startSleeper(ctx, 'exectimeout');
    const err = await criRejection(
      ctx.cri().execSync({ containerId: c.id, cmd: ['sleep', '30'], timeout: 1n }),
    );
    assert.equal(grpcStatus[err.code], 'DEADLINE_EXCEEDED', err.message);
    const after = await ctx.cri().execSync({ containerId: c.id, cmd: ['true'], timeout: 10n });
    assert.equal(after.exitCode, 0, 'the container still serves execs after a timeout');
  });
}

/** describeNotFound: every per-container RPC answers NOT_FOUND for an id it never made. */
export function describeNotFound(ctx: SuiteContext): void {
  it('answers NOT_FOUND for unknown container ids', async () => {
    const cri = ctx.cri();
    const calls: [string, () => Promise<unknown>][] = [
      ['ContainerStatus', () => cri.containerStatus({ containerId: UNKNOWN_ID, verbose: false })],
      ['StartContainer', () => cri.startContainer({ containerId: UNKNOWN_ID })],
      ['ExecSync', () => cri.execSync({ containerId: UNKNOWN_ID, cmd: ['true'], timeout: 5n })],
      ['ContainerStats', () => cri.containerStats({ containerId: UNKNOWN_ID })],
    ];
    for (const [name, call] of calls) {
      const err = await criRejection(call());
      assert.equal(grpcStatus[err.code], 'NOT_FOUND', `${name}: ${err.message}`);
    }
    await cri.removeContainer({ containerId: UNKNOWN_ID });
  });

  it('refuses to create a container in an unknown sandbox with NOT_FOUND', async () => {
    const sb = await ctx.tracker().runSandbox('ghost');
    const fake = { ...sb, id: UNKNOWN_ID };
    const err = await criRejection(
      ctx.tracker().createContainer(fake, 'orphan', { command: ['true'] }),
    );
    assert.equal(grpcStatus[err.code], 'NOT_FOUND', err.message);
  });
}

/** describeImages: what the kubelet's image manager asks before running a container. */
export function describeImages(ctx: SuiteContext): void {
  it('ImageStatus describes a present image, which ListImages also lists', async () => {
    const res = await ctx.cri().imageStatus({ image: imageSpec(ctx.image()), verbose: false });
    const img = res.image;
    assert.ok(img, `image ${ctx.image()} is not present`);
    assert.ok(img.id.length > 0, 'image id is empty');
    assert.ok(img.size > 0n, 'image size is 0');
    const all = (await ctx.cri().listImages({})).images;
    assert.ok(all.some((i) => i.id === img.id), 'ListImages lacks the image');
  });

  it('ImageStatus of a missing image is an empty response, not an error', async () => {
    const missing = 'docker.io/library/k8ts-conformance-missing:never';
    const res = await ctx.cri().imageStatus({ image: imageSpec(missing), verbose: false });
    assert.equal(res.image, undefined);
  });

  it('ImageFsInfo names the filesystem images live on', async () => {
    const res = await ctx.cri().imageFsInfo({});
    assert.ok(res.imageFilesystems.length > 0, 'no image filesystem');
    assert.ok((res.imageFilesystems[0]?.fsId?.mountpoint ?? '').length > 0, 'no mountpoint');
  });
}

/** describeStats: ContainerStats and ListContainerStats, the summary API's source. */
export function describeStats(ctx: SuiteContext): void {
  it('ContainerStats reports CPU and memory of a running container', async () => {
    const { sb, c } = await startSleeper(ctx, 'stats');
    const stats = (await ctx.cri().containerStats({ containerId: c.id })).stats;
    assert.equal(stats?.attributes?.id, c.id);
    assert.equal(stats?.attributes?.metadata?.name, 'main');
    assert.ok((stats?.cpu?.timestamp ?? 0n) > 0n, 'no CPU sample');
    assert.ok(stats?.cpu?.usageCoreNanoSeconds !== undefined, 'no CPU usage');
    assert.ok(stats?.memory?.workingSetBytes !== undefined, 'no memory working set');
    const listed = (await ctx.cri().listContainerStats({
      filter: { id: '', podSandboxId: sb.id, labelSelector: {} },
    })).stats;
    assert.deepEqual(listed.map((s) => s.attributes?.id), [c.id]);
  });
}

function imageSpec(image: string) {
  return { image, annotations: {}, userSpecifiedImage: image, runtimeHandler: '', imageRef: '' };
}
