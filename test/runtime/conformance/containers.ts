/**
 * Conformance: the container lifecycle (create, start, exit codes and reasons, logs in the CRI
 * format, stop with and without a SIGTERM handler, remove), command/args/env/working dir, and
 * ListContainers filters.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import { ContainerState } from '../../../src/kubelet/cri/types.js';
import type { SuiteContext } from './context.js';
import {
  criRejection,
  eventually,
  EXIT_ON_TERM,
  IGNORE_TERM,
  readCriLog,
  SLEEP_FOREVER,
  statusOf,
  streamText,
  waitForReady,
  waitForState,
} from './fixtures.js';

const sh = (script: string) => ({ command: ['sh', '-c'], args: [script] });

/** describeContainerLifecycle: create → start → exit → remove, with what the kubelet reads. */
export function describeContainerLifecycle(ctx: SuiteContext): void {
  it('creates a CREATED container, starts it, and reports exit 0 as Completed', async () => {
    const sb = await ctx.tracker().runSandbox('lifecycle');
    const c = await ctx.tracker().createContainer(sb, 'job', sh('sleep 1; exit 0'));
    const created = await statusOf(ctx.cri(), c.id);
    assert.equal(ContainerState[created.state], 'CONTAINER_CREATED');
    assert.equal(created.metadata?.name, 'job');
    assert.equal(created.labels['io.kubernetes.container.name'], 'job');
    assert.ok(created.createdAt > 0n, 'created_at is not set');
    await ctx.cri().startContainer({ containerId: c.id });
    const running = await statusOf(ctx.cri(), c.id);
    assert.notEqual(ContainerState[running.state], 'CONTAINER_CREATED', 'CREATED after start');
    assert.ok(running.startedAt >= running.createdAt, 'started_at before created_at');
    const exited = await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_EXITED);
    assert.equal(exited.exitCode, 0);
    assert.equal(exited.reason, 'Completed');
    assert.ok(exited.finishedAt >= exited.startedAt, 'finished_at before started_at');
    assert.equal(exited.logPath, c.logFile);
  });

  it("reports `exit 3` as EXITED with exit code 3 and reason Error", async () => {
    const sb = await ctx.tracker().runSandbox('exit3');
    const c = await ctx.tracker().startContainer(sb, 'fail', sh('exit 3'));
    const st = await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_EXITED);
    assert.equal(st.exitCode, 3);
    assert.equal(st.reason, 'Error');
  });

  it('writes stdout and stderr to log_path in the CRI log format', async () => {
    const sb = await ctx.tracker().runSandbox('logs');
    const c = await ctx.tracker().startContainer(
      sb,
      'talker',
      sh('echo to-stdout; echo to-stderr >&2; printf "no-newline"'),
    );
    await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_EXITED);
    assert.equal(c.logFile, join(sb.logDirectory, 'talker', '0.log'));
    const lines = await eventually(async () => {
      const l = await readCriLog(c.logFile);
      assert.equal(streamText(l, 'stdout'), 'to-stdout\nno-newline');
      return l;
    });
    assert.equal(streamText(lines, 'stderr'), 'to-stderr\n');
    for (const l of lines) {
      assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
      assert.ok(!Number.isNaN(Date.parse(l.time)), `bad timestamp ${l.time}`);
    }
  });

  it('passes command, args, env and working dir to the process', async () => {
    const sb = await ctx.tracker().runSandbox('argv');
    const c = await ctx.tracker().startContainer(sb, 'argv', {
      command: ['sh', '-c'],
      args: ['echo "$GREETING|$0|$1|$(pwd)"', 'first', 'second arg'],
      envs: [{ key: 'GREETING', value: 'hello world' }],
      workingDir: '/tmp',
    });
    await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_EXITED);
    await eventually(async () => {
      const out = streamText(await readCriLog(c.logFile), 'stdout');
      assert.equal(out, 'hello world|first|second arg|/tmp\n');
    });
  });

}

/** describeContainerStops: StopContainer's signal, timeout and SIGKILL; RemoveContainer. */
export function describeContainerStops(ctx: SuiteContext): void {
  it('stop sends SIGTERM first: a process that exits on it reports exit code 0', async () => {
    const sb = await ctx.tracker().runSandbox('stopterm');
    const c = await ctx.tracker().startContainer(sb, 'polite', sh(EXIT_ON_TERM[0] ?? ''));
    await waitForReady(c);
    await ctx.cri().stopContainer({ containerId: c.id, timeout: 30n });
    const st = await statusOf(ctx.cri(), c.id);
    assert.equal(ContainerState[st.state], 'CONTAINER_EXITED', 'stop returns once exited');
    assert.equal(st.exitCode, 0);
  });

  it('stop SIGKILLs after the timeout a process ignoring SIGTERM: exit 137', async () => {
    const sb = await ctx.tracker().runSandbox('stopkill');
    const c = await ctx.tracker().startContainer(sb, 'stubborn', sh(IGNORE_TERM[0] ?? ''));
    await waitForReady(c);
    await ctx.cri().stopContainer({ containerId: c.id, timeout: 1n });
    const st = await statusOf(ctx.cri(), c.id);
    assert.equal(ContainerState[st.state], 'CONTAINER_EXITED');
    assert.equal(st.exitCode, 137);
    await ctx.cri().stopContainer({ containerId: c.id, timeout: 1n });
  });

  it('removes a container (running ones too); remove again succeeds', async () => {
    const sb = await ctx.tracker().runSandbox('rmctr');
    const c = await ctx.tracker().startContainer(sb, 'victim', sh(SLEEP_FOREVER[0] ?? ''));
    await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_RUNNING);
    await ctx.cri().stopContainer({ containerId: c.id, timeout: 0n });
    await ctx.cri().removeContainer({ containerId: c.id });
    const err = await criRejection(
      ctx.cri().containerStatus({ containerId: c.id, verbose: false }),
    );
    assert.equal(grpcStatus[err.code], 'NOT_FOUND');
    const ids = (await ctx.cri().listContainers({})).containers.map((x) => x.id);
    assert.ok(!ids.includes(c.id), 'a removed container is still listed');
    await ctx.cri().removeContainer({ containerId: c.id });
  });
}

/** describeContainerLists: ListContainers filters, which the kubelet's relist depends on. */
export function describeContainerLists(ctx: SuiteContext): void {
  it('lists containers by sandbox, by state, by id and by labels', async () => {
    const t = ctx.tracker();
    const a = await t.runSandbox('lists-a');
    const b = await t.runSandbox('lists-b');
    const run = await t.startContainer(a, 'run', {
      ...sh(SLEEP_FOREVER[0] ?? ''),
      labels: { k: 'run' },
    });
    const done = await t.startContainer(a, 'done', { ...sh('exit 0'), labels: { k: 'done' } });
    const other = await t.startContainer(b, 'other', sh(SLEEP_FOREVER[0] ?? ''));
    await waitForState(ctx.cri(), run.id, ContainerState.CONTAINER_RUNNING);
    await waitForState(ctx.cri(), done.id, ContainerState.CONTAINER_EXITED);
    await waitForState(ctx.cri(), other.id, ContainerState.CONTAINER_RUNNING);
    const list = async (f: object) =>
      (await ctx.cri().listContainers({
        filter: { id: '', podSandboxId: '', labelSelector: {}, ...f },
      })).containers.map((c) => c.id).sort();
    assert.deepEqual(await list({ podSandboxId: a.id }), [run.id, done.id].sort());
    assert.deepEqual(await list({ podSandboxId: b.id }), [other.id]);
    const running = { state: { state: ContainerState.CONTAINER_RUNNING } };
    assert.deepEqual(await list({ podSandboxId: a.id, ...running }), [run.id]);
    const exited = { state: { state: ContainerState.CONTAINER_EXITED } };
    assert.deepEqual(await list({ podSandboxId: a.id, ...exited }), [done.id]);
    assert.deepEqual(await list({ id: other.id }), [other.id]);
    assert.deepEqual(await list({ labelSelector: { k: 'done' }, podSandboxId: a.id }), [done.id]);
    const filter = { id: run.id, podSandboxId: '', labelSelector: {} };
    const item = (await ctx.cri().listContainers({ filter })).containers[0];
    assert.equal(item?.podSandboxId, a.id);
    assert.equal(item?.metadata?.name, 'run');
    assert.equal(ContainerState[item?.state ?? -1], 'CONTAINER_RUNNING');
  });
}
