/**
 * waitCriReady: a freshly spawned containerd is ready for the kubelet when its CRI answers
 * Version and Status says RuntimeReady and NetworkReady (the CNI conflist was loaded). Bounded;
 * an early exit of containerd fails at once with the tail of its log, which says why.
 */
import { readFile } from 'node:fs/promises';
import type { Clock } from '../../base/clock.js';
import { connectCri } from '../../kubelet/cri/client.js';
import type { ContainerdPaths } from './config.js';
import { sleepMs } from './process-control.js';

const POLL_MS = 100;
/** Bound on one probe call while containerd starts. */
const PROBE_DEADLINE_MS = 2_000;
/** Log bytes quoted in a start failure. */
const LOG_TAIL_BYTES = 2_000;

/** The conditions the kubelet needs true before it runs pods. */
const REQUIRED_CONDITIONS = ['RuntimeReady', 'NetworkReady'] as const;

/** ContainerdStartError: containerd exited or never became ready; the message quotes its log. */
export class ContainerdStartError extends Error {
  override name = 'ContainerdStartError';
}

/** logTail is the end of containerd's log, for error messages. */
export async function logTail(paths: ContainerdPaths): Promise<string> {
  const text = await readFile(paths.logFile, 'utf8').catch(() => '');
  return text.slice(-LOG_TAIL_BYTES);
}

/** waitCriReady resolves once the CRI is ready, or throws ContainerdStartError. */
export async function waitCriReady(
  paths: ContainerdPaths,
  exited: Promise<number | null>,
  clock: Clock,
  timeoutMs: number,
): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  const cri = connectCri(paths.socket, { deadlineMs: PROBE_DEADLINE_MS });
  const endMs = clock.nowMs() + timeoutMs;
  try {
    for (;;) {
      if (exitCode !== undefined) {
        throw new ContainerdStartError(
          `containerd exited (${exitCode}) while starting:\n${await logTail(paths)}`,
        );
      }
      const last = await probe(cri).catch((err: unknown) => String(err));
      if (last === '') return;
      if (clock.nowMs() > endMs) {
        throw new ContainerdStartError(
          `containerd not ready after ${timeoutMs} ms (${last}):\n${await logTail(paths)}`,
        );
      }
      await sleepMs(clock, POLL_MS);
    }
  } finally {
    cri.close();
  }
}

/** probe is '' when ready, else what is still missing. */
async function probe(cri: ReturnType<typeof connectCri>): Promise<string> {
  await cri.version({ version: 'v1' });
  const st = await cri.status({ verbose: false });
  const conditions = st.status?.conditions ?? [];
  return REQUIRED_CONDITIONS.map((type) => conditions.find((c) => c.type === type))
    .map((c, i) => (c === undefined ? `${REQUIRED_CONDITIONS[i]} missing` : c))
    .filter((c) => typeof c === 'string' || !c.status)
    .map((c) => (typeof c === 'string' ? c : `${c.type}=false ${c.reason} ${c.message}`.trim()))
    .join('; ');
}
