/**
 * Compactor: kube-apiserver's periodic store compaction (storage/etcd3/compact.go). Every
 * interval each API server runs Txn If(Version("compact_rev_key") = t) Then Put(it, rev)
 * Else Range(it): the one whose compare holds wins this round and compacts to the revision it
 * observed one interval earlier, so several API servers compact once per interval between them,
 * and clients keep one to two intervals of history to resume watches and continue lists.
 *
 * The round's arithmetic is pure (`nextRound`); the class only runs it on the injected Clock.
 */
import type { Clock, Timer } from '../../base/clock.js';
import { assert } from '../../base/assert.js';
import {
  EtcdClientError,
  compare,
  op,
  type EtcdClient,
  type TxnResult,
} from '../../store/client/index.js';

/** The key every API server agrees on (outside /registry, as upstream). */
export const COMPACT_REV_KEY = 'compact_rev_key';

/** CompactState is what one API server remembers between rounds. */
export interface CompactState {
  /** The compact_rev_key version this server expects (its "logical time"). */
  time: number;
  /** The store revision observed last round: the next compaction target. */
  revision: number;
}

/** RoundResult is the outcome of one round's Txn. */
export interface RoundResult {
  state: CompactState;
  /** Compact to this revision now (this server won the round and has a target). */
  compactTo?: number;
}

/** nextRound: the state after one round's Txn and whether to compact (upstream's compact()). */
export function nextRound(prev: CompactState, txn: TxnResult): RoundResult {
  const observed = txn.revision;
  if (!txn.succeeded) {
    // Another server won: adopt its time, target what we see now.
    const r = txn.responses[0];
    const version = r?.type === 'get' ? (r.kvs[0]?.version ?? 0) : 0;
    return { state: { time: version, revision: observed } };
  }
  const state = { time: prev.time + 1, revision: observed };
  // The first round only records a revision: nothing to compact on bootstrap.
  return prev.revision === 0 ? { state } : { state, compactTo: prev.revision };
}

export interface CompactorOptions {
  client: EtcdClient;
  clock: Clock;
  /** --etcd-compaction-interval (kube-apiserver default 5 min). */
  intervalMs: number;
  log?: (line: string) => void;
}

export class Compactor {
  private state: CompactState = { time: 0, revision: 0 };
  private timer: Timer | undefined;
  private running = false;

  constructor(private readonly o: CompactorOptions) {
    assert(Number.isFinite(o.intervalMs) && o.intervalMs > 0, 'Compactor: intervalMs must be > 0');
  }

  /** start runs a round every interval until stop(). */
  start(): void {
    if (this.timer) return;
    this.timer = this.o.clock.setInterval(() => void this.runOnce(), this.o.intervalMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** lastState is the state after the last round (for tests and status). */
  get lastState(): CompactState {
    return { ...this.state };
  }

  /**
   * runOnce runs one round now; resolves with the revision compacted to, if any. Rounds never
   * overlap: a round still running makes this one a no-op. Failures are logged, not thrown —
   * the next round tries again.
   */
  async runOnce(): Promise<number | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      const txn = await this.o.client
        .txn()
        .if(compare.version(COMPACT_REV_KEY, '=', this.state.time))
        .success(op.put(COMPACT_REV_KEY, String(this.state.revision)))
        .failure(op.get(COMPACT_REV_KEY))
        .commit();
      const round = nextRound(this.state, txn);
      this.state = round.state;
      if (round.compactTo === undefined) return undefined;
      await this.compact(round.compactTo);
      return round.compactTo;
    } catch (e) {
      this.o.log?.(`compactor: round failed: ${(e as Error).message}`);
      return undefined;
    } finally {
      this.running = false;
    }
  }

  private async compact(rev: number): Promise<void> {
    try {
      await this.o.client.compact(rev);
      this.o.log?.(`compactor: compacted to revision ${rev}`);
    } catch (e) {
      // Already compacted past it (another server, or an operator): nothing to do.
      if (e instanceof EtcdClientError && e.kind === 'compacted') return;
      throw e;
    }
  }
}
