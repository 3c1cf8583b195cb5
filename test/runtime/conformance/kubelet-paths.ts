/**
 * Conformance: what the kubelet's restart, log and streaming paths rely on — a container
 * recreated under the same name with the next attempt, long log lines split into P pieces,
 * ReopenContainerLog after rotation, Exec/Attach/PortForward handing back a URL, and an
 * immediate kill for a zero stop timeout.
 */
import assert from 'node:assert/strict';
import { rename } from 'node:fs/promises';
import { ContainerState } from '../../../src/kubelet/cri/types.js';
import type { SuiteContext } from './context.js';
import {
  eventually,
  IGNORE_TERM,
  readCriLog,
  SLEEP_FOREVER,
  statusOf,
  streamText,
  waitForState,
} from './fixtures.js';

const sh = (script: string) => ({ command: ['sh', '-c'], args: [script] });

/** describeRestartsAndLogs: attempts, long lines and log rotation. */
export function describeRestartsAndLogs(ctx: SuiteContext): void {
  it('recreates a container under the same name with the next attempt', async () => {
    const sb = await ctx.tracker().runSandbox('attempts');
    const first = await ctx.tracker().startContainer(sb, 'again', sh('echo first; exit 1'));
    await waitForState(ctx.cri(), first.id, ContainerState.CONTAINER_EXITED);
    const second = await ctx.tracker().startContainer(sb, 'again', {
      ...sh('echo second'),
      attempt: 1,
    });
    const st = await waitForState(ctx.cri(), second.id, ContainerState.CONTAINER_EXITED);
    assert.notEqual(second.id, first.id);
    assert.equal(st.metadata?.attempt, 1);
    assert.equal((await statusOf(ctx.cri(), first.id)).exitCode, 1, 'old attempt kept');
    await eventually(async () => {
      assert.equal(streamText(await readCriLog(first.logFile), 'stdout'), 'first\n');
      assert.equal(streamText(await readCriLog(second.logFile), 'stdout'), 'second\n');
    });
    const filter = { id: '', podSandboxId: sb.id, labelSelector: {} };
    const attempts = (await ctx.cri().listContainers({ filter })).containers
      .map((c) => c.metadata?.attempt)
      .sort();
    assert.deepEqual(attempts, [0, 1]);
  });

  it('splits a line longer than 16 KiB into P pieces that join back exactly', async () => {
    const sb = await ctx.tracker().runSandbox('longline');
    const c = await ctx.tracker().startContainer(
      sb,
      'long',
      sh("head -c 40000 /dev/zero | tr '\\000' a; echo; echo short"),
    );
    await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_EXITED);
    const lines = await eventually(async () => {
      const l = await readCriLog(c.logFile);
      assert.equal(streamText(l, 'stdout'), `${'a'.repeat(40000)}\nshort\n`);
      return l;
    });
    assert.ok(lines.some((l) => l.tag === 'P'), 'no partial (P) line');
    assert.ok(lines.every((l) => Buffer.byteLength(l.text) <= 16 * 1024), 'a line over 16 KiB');
  });

  it('ReopenContainerLog starts a new file after the kubelet rotated the old one', async () => {
    const sb = await ctx.tracker().runSandbox('rotate');
    const c = await ctx.tracker().startContainer(
      sb,
      'ticker',
      sh('i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'),
    );
    await eventually(async () => {
      assert.match(streamText(await readCriLog(c.logFile), 'stdout'), /tick 2\n/);
    });
    await rename(c.logFile, `${c.logFile}.rotated`);
    await ctx.cri().reopenContainerLog({ containerId: c.id });
    await eventually(async () => {
      const text = streamText(await readCriLog(c.logFile), 'stdout');
      assert.match(text, /^tick \d+\ntick \d+\n/);
    });
    const old = streamText(await readCriLog(`${c.logFile}.rotated`), 'stdout');
    assert.match(old, /^tick 1\n/);
  });
}

/** describeStreamingAndKill: streaming URLs and StopContainer with a zero timeout. */
export function describeStreamingAndKill(ctx: SuiteContext): void {
  it('Exec, Attach and PortForward answer with a streaming URL', async () => {
    const sb = await ctx.tracker().runSandbox('urls');
    const c = await ctx.tracker().startContainer(sb, 'main', sh(SLEEP_FOREVER[0] ?? ''));
    await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_RUNNING);
    const io = { tty: false, stdin: false, stdout: true, stderr: true };
    const urls = [
      (await ctx.cri().exec({ containerId: c.id, cmd: ['true'], ...io })).url,
      (await ctx.cri().attach({ containerId: c.id, ...io })).url,
      (await ctx.cri().portForward({ podSandboxId: sb.id, port: [80] })).url,
    ];
    for (const url of urls) {
      const u = new URL(url);
      assert.ok(['http:', 'https:'].includes(u.protocol), url);
    }
  });

  it('stop with timeout 0 kills at once, even a process ignoring SIGTERM', async () => {
    const sb = await ctx.tracker().runSandbox('stopnow');
    const c = await ctx.tracker().startContainer(sb, 'stubborn', sh(IGNORE_TERM[0] ?? ''));
    await waitForState(ctx.cri(), c.id, ContainerState.CONTAINER_RUNNING);
    await ctx.cri().stopContainer({ containerId: c.id, timeout: 0n });
    const st = await statusOf(ctx.cri(), c.id);
    assert.equal(ContainerState[st.state], 'CONTAINER_EXITED');
    assert.equal(st.exitCode, 137);
  });
}
