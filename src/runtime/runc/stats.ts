/**
 * Container stats from cgroup v1 files (this host is v1 hybrid): CPU time from cpuacct.usage,
 * memory usage, working set (usage minus inactive file cache, as the kubelet computes it), RSS
 * and page faults from memory.stat, and the writable layer's size from the upper directory.
 */
import { readdir, readFile, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import * as cri from '../../kubelet/cri/types.js';
import type { RuncContext } from './context.js';
import type { ContainerRecord } from './records.js';

/** The most directory entries walked to size one writable layer. */
const MAX_WALK_ENTRIES = 100_000;

/** parseMemoryStat reads memory.stat "key value" lines into a map. */
export function parseMemoryStat(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value && /^\d+$/.test(value)) out.set(key, BigInt(value));
  }
  return out;
}

/** readNumber reads a cgroup file holding one integer; undefined when absent. */
async function readNumber(path: string): Promise<bigint | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return /^\d+$/.test(text) ? BigInt(text) : undefined;
  } catch {
    return undefined;
  }
}

/** dirUsage sums file sizes and counts inodes under dir (bounded walk). */
async function dirUsage(dir: string): Promise<{ bytes: bigint; inodes: bigint }> {
  let bytes = 0n;
  let inodes = 0n;
  const stack = [dir];
  while (stack.length > 0 && inodes < MAX_WALK_ENTRIES) {
    const current = stack.pop() as string;
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(current, entry.name);
      inodes += 1n;
      if (entry.isDirectory()) stack.push(path);
      else bytes += BigInt((await lstat(path).catch(() => ({ size: 0 }))).size);
    }
  }
  return { bytes, inodes };
}

/** containerStats assembles one container's CRI stats. */
export async function containerStats(ctx: RuncContext, record: ContainerRecord):
  Promise<cri.ContainerStats> {
  const nowNs = BigInt(Math.round(ctx.wallMs())) * 1_000_000n;
  const cg = record.cgroupsPath;
  const cpu = await readNumber(`/sys/fs/cgroup/cpuacct${cg}/cpuacct.usage`);
  const usage = await readNumber(`/sys/fs/cgroup/memory${cg}/memory.usage_in_bytes`);
  const stat = parseMemoryStat(
    await readFile(`/sys/fs/cgroup/memory${cg}/memory.stat`, 'utf8').catch(() => ''));
  const inactive = stat.get('total_inactive_file') ?? 0n;
  const working = usage === undefined ? undefined : usage > inactive ? usage - inactive : 0n;
  const upper = await dirUsage(join(ctx.records.containerDir(record.id), 'upper'));
  const value = (v: bigint | undefined): { value: bigint } | undefined =>
    v === undefined ? undefined : { value: v };
  return cri.ContainerStats.fromPartial({
    attributes: { id: record.id, metadata: { name: record.name, attempt: record.attempt },
      labels: record.labels, annotations: record.annotations },
    cpu: { timestamp: nowNs, usageCoreNanoSeconds: value(cpu) },
    memory: {
      timestamp: nowNs, workingSetBytes: value(working), usageBytes: value(usage),
      rssBytes: value(stat.get('total_rss')), pageFaults: value(stat.get('total_pgfault')),
      majorPageFaults: value(stat.get('total_pgmajfault')),
      availableBytes: record.resources.memoryLimitBytes > 0 && working !== undefined
        ? { value: BigInt(record.resources.memoryLimitBytes) > working
          ? BigInt(record.resources.memoryLimitBytes) - working : 0n }
        : undefined,
    },
    writableLayer: { timestamp: nowNs, fsId: { mountpoint: ctx.stateDir },
      usedBytes: { value: upper.bytes }, inodesUsed: { value: upper.inodes } },
  });
}
