/**
 * RuncContext: everything the runtime's operations share (host facts, the record store, runc,
 * the image source, the allocator, and the in-memory tables), passed explicitly so each
 * operation file stays a set of plain functions.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../base/clock.js';
import { newUid } from '../../base/wall-clock.js';
import type { Ipv4Cidr } from './cidr.js';
import type { RuncImageSource } from './image-source.js';
import type { FileIpAllocator } from './ip-allocator.js';
import type { ContainerRecord, RecordStore, SandboxRecord } from './records.js';
import type { Runc } from './runc-cli.js';

/** RuncContext is the shared state of one runtime instance. */
export interface RuncContext {
  stateDir: string;
  records: RecordStore;
  runc: Runc;
  images: RuncImageSource;
  allocator: FileIpAllocator;
  cidr: Ipv4Cidr;
  bridge: string;
  clock: Clock;
  wallMs(): number;
  /** conmon's exit files: <exitDir>/<container id> holds the exit code. */
  exitDir: string;
  /** conmon's attach socket links. */
  socketDir: string;
  /** Whether memory.memsw exists, so swap can be capped at the memory limit. */
  swapAccounting: boolean;
  /** This process's oom_score_adj, the lowest a container may get (P1). */
  minOomScoreAdj: number;
  sandboxes: Map<string, SandboxRecord>;
  containers: Map<string, ContainerRecord>;
}

/** newObjectId returns a 64-hex-digit id, the shape containerd gives sandboxes and containers. */
export function newObjectId(): string {
  return createHash('sha256').update(newUid()).digest('hex');
}

/** nowNs is the wall clock in nanoseconds as the decimal string records store. */
export function nowNs(ctx: RuncContext): string {
  return (BigInt(Math.round(ctx.wallMs())) * 1_000_000n).toString();
}

/**
 * waitUntil polls cond every intervalMs until it holds or timeoutMs passes (on the injected
 * clock); resolves with whether it held. Bounded by construction.
 */
export async function waitUntil(
  clock: Clock,
  cond: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = clock.nowMs() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (clock.nowMs() >= deadline) return false;
    await new Promise<void>((resolve) => clock.setTimeout(resolve, intervalMs));
  }
}
