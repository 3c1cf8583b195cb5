/**
 * RuncContext: everything the runtime's operations share (host facts, the record store, runc,
 * the image source, the allocator, and the in-memory tables), passed explicitly so each
 * operation file stays a set of plain functions.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../base/clock.js';
import { newUid } from '../../base/wall-clock.js';
import type { Ipv4Cidr } from '../cidr.js';
import type { ExitWatcher } from './exit-watcher.js';
import type { RuncImageSource } from './image-source.js';
import type { FileIpAllocator } from './ip-allocator.js';
import type { ContainerRecord, RecordStore, SandboxRecord } from './records.js';
import type { Runc } from './runc-cli.js';
import type { StopActor } from './stop-machine.js';

/** RuncContext is the shared state of one runtime instance. */
export interface RuncContext {
  stateDir: string;
  records: RecordStore;
  runc: Runc;
  /** The runtime conmon runs: turns its `create` into `runc run --detach` (run-wrapper.ts). */
  runWrapper: string;
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
  /** Exit events from conmon's exit files. */
  exits: ExitWatcher;
  /** Containers this process saw running by a full check, when (clock ms) and under which
   *  exit-watch epoch: their status needs no file read until an exit event or a recheck is
   *  due (containers.ts, observeContainer). */
  quiet: Map<string, { atMs: number; epoch: number }>;
  /** Stop sequences in flight, by container id (a second StopContainer joins the first). */
  stops: Map<string, { actor: StopActor; done: Promise<void> }>;
}

/** newObjectId returns a 64-hex-digit id, the shape containerd gives sandboxes and containers. */
export function newObjectId(): string {
  return createHash('sha256').update(newUid()).digest('hex');
}

/** nowNs is the wall clock in nanoseconds as the decimal string records store. */
export function nowNs(ctx: RuncContext): string {
  return (BigInt(Math.round(ctx.wallMs())) * 1_000_000n).toString();
}
