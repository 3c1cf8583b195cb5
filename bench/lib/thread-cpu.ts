/**
 * CPU of a process split by thread name, from /proc/<pid>/task/<tid>/stat: the main thread
 * ("node", or what the process named itself) against V8's helpers ("V8 DefaultWorke": GC
 * marking/sweeping and concurrent TurboFan compiles), libuv's pool ("libuv-worker") and others.
 * A process-wide CPU figure (store-proc.ts) cannot tell a store member's event loop from its
 * garbage collector and JIT compiler; this can, which is what decides between cutting work on
 * the main thread and cutting allocation or compilation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { CLK_TCK_MS } from './store-proc.js';

/** ThreadCpu: ms of CPU (utime+stime) per thread name, summed over threads of that name. */
export type ThreadCpu = Map<string, number>;

/** threadCpu samples one process (empty when it is gone). The main thread's tid is the pid; it
 *  is reported as "main" whatever its name, so a renamed process still reads the same. */
export function threadCpu(pid: number): ThreadCpu {
  const out: ThreadCpu = new Map();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = Number(tid) === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * CLK_TCK_MS;
      out.set(name, (out.get(name) ?? 0) + ms);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** threadCpuBetween: per thread name, b − a (threads that ended in between are lost to both). */
export function threadCpuBetween(a: ThreadCpu, b: ThreadCpu): ThreadCpu {
  const out: ThreadCpu = new Map();
  for (const [name, ms] of b) out.set(name, ms - (a.get(name) ?? 0));
  return out;
}

/** formatThreadCpu: "main 812, V8 DefaultWorke 240, ..." per `per` (e.g. per pod), largest first. */
export function formatThreadCpu(t: ThreadCpu, per: number): string {
  return [...t].filter(([, ms]) => ms > 0).sort((x, y) => y[1] - x[1])
    .map(([name, ms]) => `${name} ${(ms / per).toFixed(2)}`).join(', ');
}
