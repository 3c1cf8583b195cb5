/**
 * LeaderElector: client-go's leader election on a coordination.k8s.io/v1 Lease, tuned for
 * sub-second failover and fenced.
 *
 * - Expiry is judged on the candidate's OWN monotonic clock, from when it last OBSERVED the
 *   record change (a new resourceVersion), never from renewTime: clocks of different hosts
 *   disagree, and a skewed clock must not let two candidates lead.
 * - Acquire is a create (no Lease yet) or an update with the observed resourceVersion as
 *   precondition, so of racing candidates exactly one write succeeds.
 * - The leader renews every retryPeriodMs (an update with its last resourceVersion) and steps
 *   down when no renewal has succeeded for renewDeadlineMs, counted from the START of the last
 *   successful renewal: that write committed after its start, so every candidate observed it
 *   later and expires it at least leaseDurationMs (> renewDeadlineMs) after the leader gave up.
 * - The fence: the resourceVersion of the write that made us holder. The API server keeps the
 *   revision of the lease's last holder change and refuses fenced writes of an older term.
 *   A term never reuses a fence: re-acquiring a lease that still names us (after stepping down)
 *   goes through a release first, so the old term's in-flight writes are refused too.
 */
import { setMaxListeners } from 'node:events';
import { isStatusError } from '../../api/errors.js';
import type { Lease } from '../../api/coordination/v1/lease.js';
import { assert } from '../../base/assert.js';
import type { Clock, Timer } from '../../base/clock.js';
import type { ComponentApi } from '../component-api.js';
import type { LeaderFence } from '../types.js';
import { fencedApi } from './fenced-api.js';
import { LeaseWatch } from './lease-watch.js';
import {
  acquired,
  holderOf,
  LEASES,
  newLease,
  released,
  renewed,
} from './lease-record.js';
import type { LeaderCallbacks, LeaderElectionConfig, LeadingContext } from './types.js';

/**
 * DEFAULT_LEADER_TIMING for k8ts' scheduler and controller manager. Kubernetes uses 15 s / 10 s /
 * 2 s, so a dead leader costs ~15 s of no scheduling; k8ts promises a handover within 1 s. The
 * price: the leader writes its Lease every 100 ms (10 writes/s per elected component, ~20/s for
 * scheduler + controller manager) and each standby reads it 10 times/s. The fence, not the
 * timing, is what keeps a slow deposed leader harmless, so tight timing is safe.
 *
 * Why the renew deadline sits just under the lease (550 of 600 ms), not at two thirds as
 * upstream: a leader measures from the START of its last good renewal and a standby from when it
 * OBSERVED that renewal (later), so the leader still stops first; and on a loaded 2-core machine
 * a renewal can take a few hundred ms — a short deadline made leaders step down for nothing
 * (measured: terms lost at 500 ms under the e2e tests' load). Failover: ~600 ms expiry + ≤100 ms
 * until a standby looks + the acquiring write (docs/benchmarks.md).
 */
export const DEFAULT_LEADER_TIMING = {
  leaseDurationMs: 600,
  renewDeadlineMs: 550,
  retryPeriodMs: 100,
} as const;

/** ElectorDeps: I/O, time and logging, injected. */
export interface ElectorDeps {
  api: ComponentApi;
  clock: Clock;
  /** Wall time for acquireTime/renewTime (informational; expiry uses clock). */
  wallMs: () => number;
  log: (line: string) => void;
}

/** Why a term ended. */
type TermEnd = 'stopped' | 'deadline' | 'lost' | 'fenced';

interface Term {
  fence: LeaderFence;
  ac: AbortController;
  /** end() has been called. */
  done: boolean;
  /** Resolves with the reason once end() is called. */
  ended: Promise<TermEnd>;
  end: (why: TermEnd) => void;
  deadline: Timer | undefined;
  /** The renew deadline passed: the next renewal decides (see armDeadline). */
  overdue: boolean;
}

/** LeaderElector campaigns for one Lease; run() until its signal aborts. */
export class LeaderElector {
  /** The Lease as last read or written, its resourceVersion and when we saw it change. */
  private observed: Lease | undefined;
  private observedAtMs = 0;
  private reportedHolder = '';
  /** The fence of the term we hold now; undefined when not leading. */
  private fence: LeaderFence | undefined;
  private running = false;
  /** The last failure logged; cleared by any successful call. */
  private lastFailure = '';
  /** A write found `observed` out of date: the next try reads instead of trusting the watch. */
  private stale = false;
  private readonly works = new Set<Promise<void>>();

  constructor(
    private readonly config: LeaderElectionConfig,
    private readonly callbacks: LeaderCallbacks,
    private readonly deps: ElectorDeps,
  ) {
    const c = config;
    assert(c.identity !== '', 'leader election needs an identity');
    assert(c.retryPeriodMs > 0 && c.retryPeriodMs < c.renewDeadlineMs, 'need retry < renew');
    assert(c.renewDeadlineMs < c.leaseDurationMs, 'need renewDeadline < leaseDuration');
  }

  /** isLeader: a term is running. */
  isLeader(): boolean {
    return this.fence !== undefined;
  }

  /** leader: the holder last observed ("" when none). */
  leader(): string {
    return holderOf(this.observed);
  }

  /** run campaigns, leads, and campaigns again after losing, until signal aborts; resolves
   *  after the last term's work has returned (and the lease was released, if configured). */
  async run(signal: AbortSignal): Promise<void> {
    assert(!this.running, 'LeaderElector.run: already running');
    this.running = true;
    try {
      while (!signal.aborted) {
        const fence = await this.acquire(signal);
        if (fence === undefined) break;
        await this.lead(fence, signal);
      }
      await Promise.allSettled([...this.works]);
    } finally {
      this.running = false;
    }
  }

  /** acquire tries every retryPeriodMs until it holds the lease; undefined once aborted. While
   *  it tries, a LeaseWatch keeps `observed` current, so most tries need no read. */
  private async acquire(signal: AbortSignal): Promise<LeaderFence | undefined> {
    const c = this.config;
    const watch = new LeaseWatch({ api: this.api, clock: this.deps.clock, namespace: c.namespace,
      name: c.name, onLease: (l) => this.observe(l) });
    watch.start();
    try {
      while (!signal.aborted) {
        const startMs = this.deps.clock.nowMs();
        const fence = await this.tryAcquire(watch.synced).catch((e: unknown) => {
          this.logFailure(`cannot acquire: ${messageOf(e)}`);
          return undefined;
        });
        if (fence !== undefined) return fence;
        const waitMs = startMs + c.retryPeriodMs - this.deps.clock.nowMs();
        await this.sleep(Math.max(0, waitMs), signal);
      }
      return undefined;
    } finally {
      void watch.stop();
    }
  }

  /** tryAcquire: the watched lease (or a read when the watch cannot stand in for one, or the
   *  last try found it stale) and, when the lease is free or expired, one acquiring write. */
  private async tryAcquire(watched: boolean): Promise<LeaderFence | undefined> {
    const c = this.config;
    const useWatched = watched && !this.stale && this.observed !== undefined;
    this.stale = false;
    const lease = useWatched ? this.observed : await this.read();
    if (lease === undefined) {
      const fresh = newLease(c.namespace, c.name, c.identity, c.leaseDurationMs, this.wall());
      const opts = this.opts();
      const created = await this.write(() => this.api.create(LEASES, c.namespace, fresh, opts));
      return created && this.fenceOf(created);
    }
    const holder = holderOf(lease);
    if (holder === c.identity) {
      // Ours from an earlier term (or a write whose answer we missed): release, then acquire,
      // so this term gets a fence of its own.
      const free = released(lease, this.wall());
      const written = await this.update(free);
      return written && this.tryTake(written);
    }
    const expired = this.deps.clock.nowMs() >= this.observedAtMs + c.leaseDurationMs;
    if (holder !== '' && !expired) return undefined;
    return this.tryTake(lease);
  }

  /** tryTake writes us as holder of lease (another's or nobody's) with its resourceVersion. */
  private async tryTake(lease: Lease): Promise<LeaderFence | undefined> {
    const c = this.config;
    const mine = acquired(lease, c.identity, c.leaseDurationMs, this.wall());
    const written = await this.update(mine);
    return written && this.fenceOf(written);
  }

  /** lead runs one term: the work, renewals, the renew deadline; returns when it ends. */
  private async lead(fence: LeaderFence, signal: AbortSignal): Promise<void> {
    const term = this.newTerm(fence);
    const onAbort = (): void => term.end('stopped');
    signal.addEventListener('abort', onAbort, { once: true });
    this.armDeadline(term, this.deps.clock.nowMs());
    this.deps.log(`leader election ${this.lockName()}: ${this.config.identity} leads ` +
      `(fence revision ${fence.revision})`);
    this.startWork(term);
    const renewing = this.renewLoop(term);
    const why = await term.ended;
    signal.removeEventListener('abort', onAbort);
    this.deps.log(`leader election ${this.lockName()}: ${this.config.identity} stopped ` +
      `leading (${why})`);
    this.call(() => this.callbacks.onStoppedLeading?.());
    if (why !== 'stopped' || !(this.config.releaseOnCancel ?? true)) return;
    await renewing; // a renewal in flight would make the release's resourceVersion stale
    await this.release();
  }

  /** newTerm: term.end() stops the work at once (synchronously: a refused fenced write or a
   *  missed deadline must not let the work issue one more write), then resolves term.ended. */
  private newTerm(fence: LeaderFence): Term {
    const ac = new AbortController();
    // Every controller and worker of the term listens to this one signal: more than Node's
    // default of 10 listeners is the design, not a leak.
    setMaxListeners(0, ac.signal);
    let resolve: (why: TermEnd) => void = () => {};
    const term: Term = {
      fence,
      ac,
      done: false,
      deadline: undefined,
      overdue: false,
      ended: new Promise<TermEnd>((r) => (resolve = r)),
      end: (why) => {
        if (term.done) return;
        term.done = true;
        term.deadline?.cancel();
        if (this.fence === fence) this.fence = undefined;
        ac.abort(new Error(`leadership ended: ${why}`));
        resolve(why);
      },
    };
    this.fence = fence;
    return term;
  }

  /** startWork calls onStartedLeading with the fenced API; its promise is awaited by run(). */
  private startWork(term: Term): void {
    const ctx: LeadingContext = {
      api: fencedApi(this.deps.api, term.fence, () => term.end('fenced')),
      fence: term.fence,
      signal: term.ac.signal,
    };
    const work = (async () => {
      try {
        await this.callbacks.onStartedLeading(ctx);
      } catch (e) {
        this.deps.log(`leader election ${this.lockName()}: leading work failed: ${messageOf(e)}`);
      }
    })();
    this.works.add(work);
    void work.finally(() => this.works.delete(work));
  }

  /** renewLoop renews every retryPeriodMs until the term ends. */
  private async renewLoop(term: Term): Promise<void> {
    for (;;) {
      const startMs = this.deps.clock.nowMs();
      await this.sleep(this.config.retryPeriodMs, term.ac.signal);
      if (term.done) return;
      const renewStartMs = this.deps.clock.nowMs();
      const outcome = await this.renew().catch((e: unknown) => {
        this.logFailure(`renew failed: ${messageOf(e)}`);
        return 'failed' as const;
      });
      if (term.done) return;
      if (outcome === 'renewed') this.armDeadline(term, renewStartMs);
      else if (outcome === 'lost') term.end('lost');
      else if (term.overdue) term.end('deadline');
      assert(this.deps.clock.nowMs() >= startMs, 'clock went backwards');
    }
  }

  /** renew: an update of our last write; on a conflict, re-read to learn whether we lost. */
  private async renew(): Promise<'renewed' | 'lost' | 'failed'> {
    const c = this.config;
    let lease = this.observed;
    if (lease === undefined || holderOf(lease) !== c.identity) {
      lease = await this.read();
      if (holderOf(lease) !== c.identity || lease === undefined) return 'lost';
    }
    const next = renewed(lease, c.leaseDurationMs, this.wall());
    const written = await this.update(next);
    if (written !== undefined) return 'renewed';
    const now = await this.read(); // conflict: someone else wrote the lease
    return holderOf(now) === c.identity ? 'failed' : 'lost';
  }

  /**
   * armDeadline: renewDeadlineMs after the start of the last good renewal the term is overdue.
   * Upstream ends the term right there, because without fencing a slow leader must stop before
   * anyone else may start. Here a deposed leader cannot write anything, so an overdue leader
   * asks its next renewal instead: that renewal is a compare-and-swap on the leader's own last
   * write, so success proves nobody took the lease meanwhile and the term goes on — a leader
   * whose renewals were slowed by a busy machine is no longer deposed by its own timer while
   * nobody else took over (measured: a new scheduler term every second while binding 10,000
   * pods). A failed renewal ends an overdue term; and one lease duration later it ends anyway.
   */
  private armDeadline(term: Term, renewStartMs: number): void {
    term.deadline?.cancel();
    term.overdue = false;
    const dueMs = renewStartMs + this.config.renewDeadlineMs - this.deps.clock.nowMs();
    term.deadline = this.deps.clock.setTimeout(() => {
      term.overdue = true;
      term.deadline = this.deps.clock.setTimeout(() => term.end('deadline'),
        this.config.leaseDurationMs);
    }, Math.max(0, dueMs));
  }

  /** release clears the holder so a standby takes over without waiting for expiry. */
  private async release(): Promise<void> {
    const lease = this.observed;
    if (lease === undefined || holderOf(lease) !== this.config.identity) return;
    const free = released(lease, this.wall());
    const ok = await this.update(free)
      .catch((e: unknown) => {
        this.deps.log(`leader election ${this.lockName()}: release failed: ${messageOf(e)}`);
        return undefined;
      });
    if (ok) this.deps.log(`leader election ${this.lockName()}: released`);
  }

  /** read gets the lease (undefined when absent) and observes it. */
  private async read(): Promise<Lease | undefined> {
    const c = this.config;
    try {
      const lease = await this.api.get<Lease>(LEASES, c.namespace, c.name, this.opts());
      this.lastFailure = '';
      this.observe(lease);
      return lease;
    } catch (e) {
      if (!isStatusError(e) || e.code !== 404) throw e;
      this.lastFailure = '';
      return undefined;
    }
  }

  /** write runs a create/update; a conflict (another candidate won, or what we observed was
   *  stale) is undefined, not an error, and makes the next try read. */
  private async write(f: () => Promise<Lease>): Promise<Lease | undefined> {
    try {
      const lease = await f();
      this.observe(lease);
      return lease;
    } catch (e) {
      if (isStatusError(e) && (e.code === 409 || e.code === 404)) this.stale = true;
      if (isStatusError(e) && e.code === 409) return undefined;
      throw e;
    }
  }

  /** observe records a lease as seen now when it changed (a new resourceVersion); an older
   *  state than the one observed (a watch event behind a read or our own write) is ignored. */
  private observe(lease: Lease): void {
    const rv = lease.metadata.resourceVersion;
    if (this.observed !== undefined && this.observed.metadata.resourceVersion === rv) return;
    if (olderThan(rv, this.observed?.metadata.resourceVersion)) return;
    this.observed = lease;
    this.observedAtMs = this.deps.clock.nowMs();
    const holder = holderOf(lease);
    if (holder === this.reportedHolder) return;
    this.reportedHolder = holder; // "" (released) too, so a re-acquire is reported again
    if (holder !== '') this.call(() => this.callbacks.onNewLeader?.(holder));
  }

  private fenceOf(lease: Lease): LeaderFence {
    const revision = lease.metadata.resourceVersion;
    assert(revision !== undefined && revision !== '', 'acquiring write without resourceVersion');
    return { namespace: this.config.namespace, name: this.config.name, revision };
  }

  /** api: calls bounded by the lease duration (a standby must not wait longer than that). */
  private get api(): ComponentApi {
    return this.deps.api;
  }

  /** update writes lease with its resourceVersion as precondition (undefined: conflict). */
  private update(lease: Lease): Promise<Lease | undefined> {
    return this.write(() => this.api.update(LEASES, this.config.namespace, lease, this.opts()));
  }

  private opts(): { timeoutMs: number } {
    return { timeoutMs: this.config.leaseDurationMs };
  }

  /** logFailure logs a failed attempt unless it repeats the previous one: while the API is
   *  down, candidates retry 10 times a second and the log must not say so 10 times a second. */
  private logFailure(line: string): void {
    if (line === this.lastFailure) return;
    this.lastFailure = line;
    this.deps.log(`leader election ${this.lockName()}: ${line}`);
  }

  private wall(): number {
    return this.deps.wallMs();
  }

  private lockName(): string {
    return `${this.config.namespace}/${this.config.name}`;
  }

  private call(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.deps.log(`leader election ${this.lockName()}: callback threw: ${messageOf(e)}`);
    }
  }

  /** sleep waits delayMs on the injected clock, or until signal aborts. */
  private sleep(delayMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        timer.cancel();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.deps.clock.setTimeout(done, delayMs);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** olderThan: resourceVersion a is an older store revision than b (both numeric; anything
 *  else is never older, so the comparison can only hold back an update it can prove stale). */
function olderThan(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
