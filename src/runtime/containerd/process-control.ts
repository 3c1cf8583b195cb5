/**
 * Stopping processes by pid with a bound: SIGTERM, wait, SIGKILL, wait — and waiting for the pid
 * to be really gone before anything restarts (pitfall P8: containerd takes over a second to exit,
 * and PID 1 on this host reaps late, so a zombie can linger briefly; it counts as gone).
 */
import { readFile } from 'node:fs/promises';
import type { Clock } from '../../base/clock.js';

/** How often pid polls look again. */
const POLL_MS = 50;

/** sleepMs waits on the injected clock. */
export function sleepMs(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** isAlive: the pid exists and is not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** waitGone polls until pid is gone; false if it still lives after timeoutMs. */
export async function waitGone(pid: number, clock: Clock, timeoutMs: number): Promise<boolean> {
  const endMs = clock.nowMs() + timeoutMs;
  while (await isAlive(pid)) {
    if (clock.nowMs() > endMs) return false;
    await sleepMs(clock, POLL_MS);
  }
  return true;
}

/** signal sends sig to pid, ignoring a pid that already exited. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** terminate: SIGTERM, up to graceMs, then SIGKILL and up to graceMs more. True when gone. */
export async function terminate(pid: number, clock: Clock, graceMs: number): Promise<boolean> {
  signal(pid, 'SIGTERM');
  if (await waitGone(pid, clock, graceMs)) return true;
  signal(pid, 'SIGKILL');
  return waitGone(pid, clock, graceMs);
}
