/**
 * CPU and memory of a container from /proc, without cgroups (which need root to create): a
 * container is its process group, so its usage is the sum over the processes whose pgrp is the
 * group's id. CPU counts utime+stime of the live members plus cutime+cstime (children they
 * already reaped), in clock ticks turned into nanoseconds; memory is the members' resident set
 * size, which stands in for the cgroup working set. A child that left the group (setsid)
 * escapes the count, as it escapes StopContainer: documented limits of the process runtime.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ on every architecture Node runs on (getconf CLK_TCK). */
export const CLOCK_TICKS_PER_SECOND = 100;
/** The page size /proc/<pid>/stat counts rss in (4 KiB on x86_64 and arm64 with 4k pages). */
export const PAGE_SIZE_BYTES = 4096;

/** ProcStat is the part of /proc/<pid>/stat the runtime uses. */
export interface ProcStat {
  pid: number;
  pgrp: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  cpuTicks: number;
  /** Process start time after boot, in clock ticks (identifies a pid across reuse). */
  startTicks: number;
  rssPages: number;
}

/**
 * parseProcStat parses one /proc/<pid>/stat line. The command name (field 2) may hold spaces
 * and parentheses, so fields are counted from the last ')'. Undefined when malformed.
 */
export function parseProcStat(line: string): ProcStat | undefined {
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(line.slice(0, line.indexOf(' ')));
  // After ')': field 3 (state) is index 0, so field N is index N - 3.
  const f = line.slice(close + 2).trim().split(/\s+/);
  const num = (field: number): number => Number(f[field - 3]);
  const stat = {
    pid, pgrp: num(5), cpuTicks: num(14) + num(15) + num(16) + num(17),
    startTicks: num(22), rssPages: num(24),
  };
  return Object.values(stat).every(Number.isFinite) ? stat : undefined;
}

/** readProcStat reads one process; undefined when it is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** isSameProcess tells whether pid still names the process that started at startTicks. */
export function isSameProcess(pid: number, startTicks: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.startTicks === startTicks;
}

/** GroupUsage is one process group's summed usage. */
export interface GroupUsage {
  cpuNanos: bigint;
  rssBytes: bigint;
  processes: number;
}

/** sumByGroup adds up stats per pgrp (pure; pgrps not in `groups` are skipped). */
export function sumByGroup(
  stats: Iterable<ProcStat>,
  groups: ReadonlySet<number>,
): Map<number, GroupUsage> {
  const out = new Map<number, GroupUsage>();
  const nsPerTick = BigInt(1e9 / CLOCK_TICKS_PER_SECOND);
  for (const s of stats) {
    if (!groups.has(s.pgrp)) continue;
    const u = out.get(s.pgrp) ?? { cpuNanos: 0n, rssBytes: 0n, processes: 0 };
    u.cpuNanos += BigInt(s.cpuTicks) * nsPerTick;
    u.rssBytes += BigInt(s.rssPages) * BigInt(PAGE_SIZE_BYTES);
    u.processes += 1;
    out.set(s.pgrp, u);
  }
  return out;
}

/** readGroupUsage scans /proc once for the given process groups. */
export function readGroupUsage(groups: ReadonlySet<number>): Map<number, GroupUsage> {
  if (groups.size === 0) return new Map();
  const stats: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat !== undefined && groups.has(stat.pgrp)) stats.push(stat);
  }
  return sumByGroup(stats, groups);
}
