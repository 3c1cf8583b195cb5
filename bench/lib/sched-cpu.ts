/**
 * schedCpuMs: the CPU time processes' threads have run, summed, in ms, from
 * /proc/<pid>/task/<tid>/schedstat (the scheduler's own nanoseconds, where /proc/<pid>/stat
 * counts USER_HZ ticks of 10 ms: a 100-pod round's CPU per pod read from ticks moves in
 * 100 µs steps). Processes and threads that are gone count nothing: read it over a window in
 * which what should count stays alive (a process's reaped children are not in it).
 */
import { readdirSync, readFileSync } from 'node:fs';

export function schedCpuMs(pids: readonly number[]): number {
  let ns = 0;
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ', 1)[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  }
  return ns / 1e6;
}
