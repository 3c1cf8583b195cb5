/**
 * A Raft member forked into its own process by a bench (bench/raft-path.ts, bench/store-scale.ts),
 * seen from the parent: commands go over IPC and each answer comes back as one message. Why one
 * process per member: each has its own event loop and heap, so one member's pauses stall it alone,
 * as on a real cluster.
 */
import type { ChildProcess } from 'node:child_process';

/** ForkedMember sends commands of type C and waits for their answers, in order. */
export class ForkedMember<C extends { cmd: string }> {
  private waiting: ((v: Record<string, unknown>) => void)[] = [];
  constructor(readonly p: ChildProcess) {
    p.on('message', (v: Record<string, unknown>) => this.waiting.shift()?.(v));
  }
  /** ask sends cmd and resolves with field `key` of the next answer. */
  ask<R>(cmd: C, key: string): Promise<R> {
    return new Promise((resolve) => {
      this.waiting.push((v) => resolve(v[key] as R));
      this.p.send(cmd);
    });
  }
  /** next resolves with field `key` of the next message (one the child sends unasked). */
  next<R>(key: string): Promise<R> {
    return new Promise((resolve) => this.waiting.push((v) => resolve(v[key] as R)));
  }
}

/** findLeader asks each member its role (`{ cmd: 'role' }`) until one says leader (≤ 10 s). */
export async function findLeader<C extends { cmd: string }>(
  procs: ForkedMember<C>[],
): Promise<ForkedMember<C>> {
  for (let i = 0; i < 100; i++) {
    for (const p of procs) {
      if ((await p.ask<string>({ cmd: 'role' } as C, 'role')) === 'leader') return p;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no leader');
}
