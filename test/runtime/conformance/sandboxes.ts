/**
 * Conformance: Version, Status and the pod sandbox lifecycle (run, status, list with filters,
 * stop, remove, idempotent stop and remove).
 */
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { status as grpcStatus } from '@grpc/grpc-js';
import { ContainerState, CriError, PodSandboxState } from '../../../src/kubelet/cri/types.js';
import type { SuiteContext } from './context.js';
import { criRejection, SLEEP_FOREVER, statusOf, waitForState } from './fixtures.js';

/** describeRuntimeInfo: Version and Status, which the kubelet calls before anything else. */
export function describeRuntimeInfo(ctx: SuiteContext): void {
  it('Version names the runtime and speaks CRI v1', async () => {
    const v = await ctx.cri().version({ version: 'v1' });
    assert.equal(v.runtimeApiVersion, 'v1');
    assert.ok(v.runtimeName.length > 0, 'runtime_name is empty');
    assert.ok(v.runtimeVersion.length > 0, 'runtime_version is empty');
  });

  it('Status reports RuntimeReady and NetworkReady true', async () => {
    const st = await ctx.cri().status({ verbose: false });
    const conditions = new Map((st.status?.conditions ?? []).map((c) => [c.type, c.status]));
    assert.equal(conditions.get('RuntimeReady'), true, 'RuntimeReady');
    assert.equal(conditions.get('NetworkReady'), true, 'NetworkReady');
  });
}

/** describeSandboxes: the sandbox lifecycle as the kubelet drives it. */
export function describeSandboxes(ctx: SuiteContext): void {
  it('runs a sandbox that is READY with an IP and the metadata it was given', async () => {
    const sb = await ctx.tracker().runSandbox('ready', { tier: 'web' });
    const res = await ctx.cri().podSandboxStatus({ podSandboxId: sb.id, verbose: false });
    const st = res.status;
    assert.ok(st, 'PodSandboxStatus returned no status');
    assert.equal(st.id, sb.id);
    assert.equal(PodSandboxState[st.state], 'SANDBOX_READY');
    assert.deepEqual(st.metadata, sb.config.metadata);
    assert.ok(isIP(st.network?.ip ?? '') !== 0, `no pod IP: ${JSON.stringify(st.network)}`);
    assert.equal(st.labels.tier, 'web');
    assert.equal(st.annotations['k8ts.io/conformance'], 'true');
    assert.ok(st.createdAt > 0n, 'created_at is not set');
  });

  it('lists sandboxes by id, by state and by labels', async () => {
    const t = ctx.tracker();
    const a = await t.runSandbox('list-a', { group: 'conf-list', which: 'a' });
    const b = await t.runSandbox('list-b', { group: 'conf-list', which: 'b' });
    await ctx.cri().stopPodSandbox({ podSandboxId: b.id });
    const list = async (f: object) =>
      (await ctx.cri().listPodSandbox({ filter: { id: '', labelSelector: {}, ...f } })).items
        .map((s) => s.id)
        .sort();
    assert.deepEqual(await list({ labelSelector: { group: 'conf-list' } }), [a.id, b.id].sort());
    assert.deepEqual(await list({ labelSelector: { group: 'conf-list', which: 'b' } }), [b.id]);
    assert.deepEqual(await list({ id: a.id }), [a.id]);
    const ready = { state: { state: PodSandboxState.SANDBOX_READY } };
    assert.deepEqual(await list({ ...ready, labelSelector: { group: 'conf-list' } }), [a.id]);
    const notReady = { state: { state: PodSandboxState.SANDBOX_NOTREADY } };
    assert.deepEqual(await list({ ...notReady, labelSelector: { group: 'conf-list' } }), [b.id]);
    const all = (await ctx.cri().listPodSandbox({})).items.map((s) => s.id);
    assert.ok(all.includes(a.id) && all.includes(b.id), 'an empty filter lists everything');
  });

  it('stop makes the sandbox NOTREADY and exits its containers; stop again succeeds', async () => {
    const sb = await ctx.tracker().runSandbox('stop');
    const c = await ctx.tracker().startContainer(sb, 'sleeper', {
      command: ['sh', '-c'],
      args: SLEEP_FOREVER,
    });
    await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_RUNNING);
    await ctx.cri().stopPodSandbox({ podSandboxId: sb.id });
    const st = (await ctx.cri().podSandboxStatus({ podSandboxId: sb.id, verbose: false })).status;
    assert.equal(PodSandboxState[st?.state ?? -1], 'SANDBOX_NOTREADY');
    assert.equal(ContainerState[(await statusOf(ctx.cri(), c.id)).state], 'CONTAINER_EXITED');
    await ctx.cri().stopPodSandbox({ podSandboxId: sb.id });
  });

  it('remove deletes the sandbox and its containers; remove again succeeds', async () => {
    const sb = await ctx.tracker().runSandbox('remove');
    const c = await ctx.tracker().startContainer(sb, 'sleeper', {
      command: ['sh', '-c'],
      args: SLEEP_FOREVER,
    });
    await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_RUNNING);
    await ctx.cri().stopPodSandbox({ podSandboxId: sb.id });
    await ctx.cri().removePodSandbox({ podSandboxId: sb.id });
    const gone = await criRejection(
      ctx.cri().podSandboxStatus({ podSandboxId: sb.id, verbose: false }),
    );
    assert.equal(grpcStatus[gone.code], 'NOT_FOUND');
    const cgone = await criRejection(
      ctx.cri().containerStatus({ containerId: c.id, verbose: false }),
    );
    assert.equal(grpcStatus[cgone.code], 'NOT_FOUND');
    const listed = (await ctx.cri().listPodSandbox({})).items.map((s) => s.id);
    assert.ok(!listed.includes(sb.id), 'a removed sandbox is still listed');
    await ctx.cri().removePodSandbox({ podSandboxId: sb.id });
  });

  it('answers NOT_FOUND for unknown sandboxes; stop of one succeeds or is NOT_FOUND', async () => {
    const unknown = 'f00dbeef0000000000000000000000000000000000000000000000000000cafe';
    const st = await criRejection(
      ctx.cri().podSandboxStatus({ podSandboxId: unknown, verbose: false }),
    );
    assert.equal(grpcStatus[st.code], 'NOT_FOUND');
    await ctx.cri().stopPodSandbox({ podSandboxId: unknown }).catch((err: unknown) => {
      assert.ok(err instanceof CriError && err.code === grpcStatus.NOT_FOUND, String(err));
    });
    await ctx.cri().removePodSandbox({ podSandboxId: unknown });
  });
}
