/**
 * Process CPU and memory accounting from /proc, the same way for k8ts members and etcd members:
 * utime+stime of each member process (all its threads), this bench process's own CPU, and the
 * machine's busy CPU from /proc/stat. What is left of the machine's busy time after the members
 * and the bench is "foreign" CPU — other tenants on this shared box — printed so a noisy
 * measurement is visible instead of silently skewing a ratio.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';

/** Kernel clock ticks per second (USER_HZ), the unit of /proc CPU times. */
const CLK_TCK = ((): number => {
  const n = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();
/** Milliseconds per kernel clock tick (thread-cpu.ts reads per-thread ticks too). */
export const CLK_TCK_MS = 1000 / CLK_TCK;

/** processCpuMs is utime+stime of a process in ms (0 when it is gone). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15.
    return (ticks * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** machineBusyMs is the CPU time all cores spent not idle (user, nice, system, irq, softirq,
 *  steal), summed over cores, in ms since boot. Interrupt time stays in: the per-process times
 *  of /proc/<pid>/stat already include some of it (leaving it out made the remainder negative,
 *  −0.2 cores at put c1), so "foreign" is an estimate good to about ±0.1 core. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
  return (busy * 1000) / CLK_TCK;
}

/** runqWaitMs is the time a process's threads, summed, spent runnable on a run queue with no
 *  core given to them (schedstat's second field), in ms (0 when it is gone or the kernel keeps
 *  no schedstats). Next to a window's idle cores it separates "no core free" from "a core sat
 *  idle while this process waited for one" (the scheduler left a runnable thread queued behind
 *  another on one core: on a 2-core box that decides a run of single-threaded processes). */
export function runqWaitMs(pid: number): number {
  let ns = 0;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ', 2)[1]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

/** DiskSample: the machine's block devices (whole disks, not partitions), summed from
 *  /proc/diskstats: writes completed and ms spent on them, flushes (what an fdatasync becomes)
 *  completed and ms spent flushing. Over a window, ms per flush is how slow fdatasync was for
 *  every process on the box — the disk is shared with other tenants, and a run whose flushes
 *  took twice as long is a different run. */
export interface DiskSample {
  writes: number;
  writeMs: number;
  flushes: number;
  flushMs: number;
}

const WHOLE_DISK = /^(vd[a-z]+|sd[a-z]+|xvd[a-z]+|nvme\d+n\d+)$/;

export function sampleDisk(): DiskSample {
  const d: DiskSample = { writes: 0, writeMs: 0, flushes: 0, flushMs: 0 };
  let text: string;
  try {
    text = readFileSync('/proc/diskstats', 'utf8');
  } catch {
    return d;
  }
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14 || !WHOLE_DISK.test(f[2]!)) continue;
    d.writes += Number(f[7]);
    d.writeMs += Number(f[10]);
    // Flush fields exist since Linux 5.5 (fields 16 and 17 after major, minor, name).
    d.flushes += Number(f[18] ?? 0);
    d.flushMs += Number(f[19] ?? 0);
  }
  return d;
}

/** rssMiB is a process's resident set size in MiB (0 when it is gone). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CpuSample is one reading of every counter a measured window needs. */
export interface CpuSample {
  atMs: number;
  membersMs: number;
  /** Each member's CPU, in the order of the pids sampled. */
  perMemberMs: number[];
  benchMs: number;
  machineMs: number;
  /** Run-queue wait (runqWaitMs) of the members, summed, and of this process. */
  membersWaitMs: number;
  benchWaitMs: number;
  disk: DiskSample;
}

export function sampleCpu(pids: readonly number[]): CpuSample {
  const perMemberMs = pids.map(processCpuMs);
  return {
    atMs: performance.now(),
    membersMs: perMemberMs.reduce((sum, ms) => sum + ms, 0),
    perMemberMs,
    benchMs: processCpuMs(process.pid),
    machineMs: machineBusyMs(),
    membersWaitMs: pids.reduce((sum, pid) => sum + runqWaitMs(pid), 0),
    benchWaitMs: runqWaitMs(process.pid),
    disk: sampleDisk(),
  };
}

/** CpuWindow is the CPU spent between two samples. */
export interface CpuWindow {
  seconds: number;
  /** CPU of the system's member processes, summed, in ms. */
  membersMs: number;
  /** Each member's CPU in ms, in the order of the pids sampled (which member led or followed
   *  is the caller's to say: the leader's share is not a follower's). */
  perMemberMs: number[];
  /** CPU of this process (the load generator), in ms. */
  benchMs: number;
  /** Average cores used by everything else on the machine during the window. */
  foreignCores: number;
  /** Average cores nobody used: with no foreign load, what a system's pipeline leaves idle
   *  (its processes waiting on each other, the disk or a wakeup) while it is not CPU-bound. */
  idleCores: number;
  /** Average threads of the members (summed) and of this process that were runnable but had no
   *  core: with idle cores beside them, the pipeline waited on placement, not on CPU. */
  membersWaitCores: number;
  benchWaitCores: number;
  /** The machine's disk flushes per second and mean ms per flush over the window (NaN: none). */
  flushesPerSec: number;
  msPerFlush: number;
}

export function cpuBetween(a: CpuSample, b: CpuSample): CpuWindow {
  const seconds = (b.atMs - a.atMs) / 1000;
  const membersMs = b.membersMs - a.membersMs;
  const benchMs = b.benchMs - a.benchMs;
  // Not clamped: a small negative value shows the accounting error instead of hiding it.
  const machineMs = b.machineMs - a.machineMs;
  const foreignMs = machineMs - membersMs - benchMs;
  const cores = (ms: number): number => (seconds > 0 ? ms / 1000 / seconds : 0);
  return {
    seconds, membersMs, perMemberMs: b.perMemberMs.map((ms, i) => ms - (a.perMemberMs[i] ?? 0)),
    benchMs, foreignCores: cores(foreignMs), idleCores: availableParallelism() - cores(machineMs),
    membersWaitCores: cores(b.membersWaitMs - a.membersWaitMs), benchWaitCores: cores(b.benchWaitMs - a.benchWaitMs),
    flushesPerSec: seconds > 0 ? (b.disk.flushes - a.disk.flushes) / seconds : NaN,
    msPerFlush: (b.disk.flushMs - a.disk.flushMs) / (b.disk.flushes - a.disk.flushes),
  };
}
