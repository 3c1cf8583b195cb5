/**
 * Leader election on a simulated clock over an in-memory lease double: the Lease record rules,
 * one leader among three, at most one leader at any instant, takeover after a partitioned
 * leader steps down (within leaseDuration + retry), immediate takeover after a release, and a
 * leader whose fenced write is refused stepping down at once.
 */
import assert from 'node:assert/strict';
import type { Lease } from '../../../src/api/coordination/v1/lease.js';
import {
  DEFAULT_LEADER_TIMING,
  LeaderElector,
} from '../../../src/client/leader/elector.js';
import {
  acquired,
  leaseDurationSeconds,
  microTime,
  newLease,
  released,
  renewed,
} from '../../../src/client/leader/lease-record.js';
import type { LeadingContext } from '../../../src/client/leader/types.js';
import { SimClock } from '../../../src/sim/clock.js';
import { LeaseStore, type View } from './lease-store.js';

const WALL0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

interface Candidate {
  id: string;
  view: View;
  elector: LeaderElector;
  stop: AbortController;
  done: Promise<void>;
  ctx: LeadingContext | undefined;
  log: string[];
}

/** Sim runs candidates on one SimClock and checks "at most one leader" after every step. */
class Sim {
  readonly clock = new SimClock();
  readonly store = new LeaseStore();
  readonly cands: Candidate[] = [];
  maxLeaders = 0;

  add(id: string, releaseOnCancel = true): Candidate {
    const view = this.store.view();
    const log: string[] = [];
    const c = { id, view, stop: new AbortController(), ctx: undefined, log } as
      unknown as Candidate;
    c.elector = new LeaderElector(
      { namespace: 'kube-system', name: 'lock', identity: id, ...DEFAULT_LEADER_TIMING,
        releaseOnCancel },
      {
        onStartedLeading: (ctx) => {
          c.ctx = ctx;
          log.push('started');
        },
        onStoppedLeading: () => log.push('stopped'),
        onNewLeader: (who) => log.push(`leader ${who}`),
      },
      { api: view.api, clock: this.clock, wallMs: () => WALL0 + this.clock.nowMs(),
        log: () => {} },
    );
    c.done = c.elector.run(c.stop.signal);
    this.cands.push(c);
    return c;
  }

  leaders(): Candidate[] {
    return this.cands.filter((c) => c.elector.isLeader());
  }

  /** runFor advances virtual time by ms, letting promises settle between timer events. */
  async runFor(ms: number): Promise<void> {
    const end = this.clock.nowMs() + ms;
    for (let i = 0; i < 100_000; i++) {
      await settle();
      this.maxLeaders = Math.max(this.maxLeaders, this.leaders().length);
      const next = this.clock.nextAtMs();
      if (next === undefined || next > end) break;
      this.clock.step();
    }
    if (this.clock.nowMs() < end) this.clock.advanceTo(end);
  }

  /** runUntil runs until cond holds; returns the virtual ms it took (bounded). */
  async runUntil(cond: () => boolean, limitMs = 10_000): Promise<number> {
    const start = this.clock.nowMs();
    while (!cond()) {
      assert.ok(this.clock.nowMs() - start < limitMs, 'condition not reached in time');
      await this.runFor(10);
    }
    return this.clock.nowMs() - start;
  }

  async stopAll(): Promise<void> {
    for (const c of this.cands) c.stop.abort();
    await this.runFor(1_000);
    await Promise.all(this.cands.map((c) => c.done));
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

describe('lease record', () => {
  it('MicroTime has 6 fractional digits; durations round up to whole seconds', () => {
    assert.equal(microTime(WALL0), '2026-01-02T03:04:05.678000Z');
    assert.equal(leaseDurationSeconds(800), 1);
    assert.equal(leaseDurationSeconds(15_000), 15);
    assert.equal(leaseDurationSeconds(1_001), 2);
  });

  it('acquire counts a transition; renew keeps acquireTime; release clears the holder', () => {
    const l0: Lease = newLease('kube-system', 'lock', 'a', 800, WALL0);
    assert.deepEqual(l0.spec, { holderIdentity: 'a', leaseDurationSeconds: 1,
      acquireTime: microTime(WALL0), renewTime: microTime(WALL0), leaseTransitions: 0 });
    const l1 = renewed(l0, 800, WALL0 + 100);
    assert.equal(l1.spec?.acquireTime, microTime(WALL0));
    assert.equal(l1.spec?.renewTime, microTime(WALL0 + 100));
    const l2 = acquired(l1, 'b', 2_500, WALL0 + 1_000);
    assert.deepEqual(l2.spec, { holderIdentity: 'b', leaseDurationSeconds: 3,
      acquireTime: microTime(WALL0 + 1_000), renewTime: microTime(WALL0 + 1_000),
      leaseTransitions: 1 });
    const l3 = released(l2, WALL0 + 2_000);
    assert.equal(l3.spec?.holderIdentity, '');
    assert.equal(l3.spec?.leaseDurationSeconds, 1);
    assert.equal(l3.spec?.leaseTransitions, 1);
    assert.equal(acquired(l3, 'c', 800, WALL0).spec?.leaseTransitions, 2);
  });
});

describe('LeaderElector (simulated clock)', () => {
  it('of three candidates exactly one leads, keeps renewing, and all learn who', async () => {
    const sim = new Sim();
    for (const id of ['a', 'b', 'c']) sim.add(id);
    await sim.runFor(5_000);
    assert.equal(sim.leaders().length, 1);
    assert.equal(sim.maxLeaders, 1);
    const leader = sim.leaders()[0]!;
    assert.equal(sim.store.holder(), leader.id);
    for (const c of sim.cands) assert.deepEqual(c.log.slice(0, 1), [`leader ${leader.id}`]);
    assert.deepEqual(leader.log, [`leader ${leader.id}`, 'started']);
    assert.ok(sim.store.rev > 30, `renewals every 100 ms (rev ${sim.store.rev})`);
    const lease = sim.store.leases.get('kube-system/lock')!;
    assert.equal(lease.spec?.leaseTransitions, 0);
    assert.equal(leader.ctx?.fence.revision, '2', 'the fence is the creating write');
    await sim.stopAll();
  });

  it('a leader whose renewals are slowed past the deadline keeps leading when nobody took over',
    async () => {
      const sim = new Sim();
      const a = sim.add('a', false);
      await sim.runUntil(() => a.elector.isLeader());
      await sim.runFor(500);
      const term = a.ctx;
      a.view.paused = true;
      await sim.runFor(DEFAULT_LEADER_TIMING.renewDeadlineMs + 150);
      a.view.resume();
      await sim.runFor(2_000);
      assert.ok(a.elector.isLeader());
      assert.equal(term?.signal.aborted, false, 'the same term goes on');
      assert.equal(a.ctx, term);
      await sim.stopAll();
    });

  it('a partitioned leader steps down; another leads within leaseDuration + retry',
    async () => {
      const sim = new Sim();
      const a = sim.add('a', false);
      await sim.runUntil(() => a.elector.isLeader());
      sim.add('b', false);
      sim.add('c', false);
      await sim.runFor(2_000);
      assert.equal(sim.leaders()[0], a);
      a.view.cut = true;
      const stepDownMs = await sim.runUntil(() => !a.elector.isLeader());
      // Overdue at the renew deadline, out at the first failed renewal after it.
      const { renewDeadlineMs: deadline, retryPeriodMs: retry } = DEFAULT_LEADER_TIMING;
      assert.ok(stepDownMs <= deadline + 2 * retry, `${stepDownMs} ms`);
      assert.equal(a.ctx?.signal.aborted, true);
      assert.deepEqual(a.log.slice(-1), ['stopped']);
      const { leaseDurationMs, retryPeriodMs } = DEFAULT_LEADER_TIMING;
      const takeoverMs = stepDownMs + (await sim.runUntil(() => sim.leaders().length === 1));
      assert.ok(takeoverMs <= leaseDurationMs + 2 * retryPeriodMs, `${takeoverMs} ms`);
      assert.equal(sim.maxLeaders, 1, 'never two leaders at once');
      const next = sim.leaders()[0]!;
      assert.equal(sim.store.leases.get('kube-system/lock')?.spec?.leaseTransitions, 1);
      a.view.cut = false;
      await sim.runFor(3_000);
      assert.deepEqual(sim.leaders(), [next], 'the old leader does not take it back');
      await sim.stopAll();
    });

  it('a graceful stop releases the lease: a standby leads within two retry periods',
    async () => {
      const sim = new Sim();
      const a = sim.add('a');
      await sim.runUntil(() => a.elector.isLeader());
      const b = sim.add('b');
      await sim.runFor(1_000);
      a.stop.abort();
      const ms = await sim.runUntil(() => b.elector.isLeader());
      assert.ok(ms <= 2 * DEFAULT_LEADER_TIMING.retryPeriodMs, `${ms} ms`);
      await a.done;
      assert.deepEqual(a.log.slice(-1), ['stopped']);
      assert.equal(sim.maxLeaders, 1);
      await sim.stopAll();
      assert.equal(sim.store.holder(), '', 'the last leader released too');
    });

  it('a refused fenced write makes the leader step down at once', async () => {
    const sim = new Sim();
    const a = sim.add('a');
    await sim.runUntil(() => a.elector.isLeader());
    const ctx = a.ctx!;
    const obj = { metadata: { name: 'w1' } };
    const res = { group: '', version: 'v1', resource: 'configmaps' };
    await ctx.api.create(res, 'default', obj);
    assert.deepEqual(sim.store.writes, [`w1 by fence ${ctx.fence.revision}`]);
    // Someone takes the lease behind a's back (an operator, a candidate after a long pause).
    const lease = sim.store.leases.get('kube-system/lock')!;
    const taken = acquired(lease, 'intruder', 800, WALL0);
    await sim.store.view().api.update(
      { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' }, 'kube-system', taken);
    const err = await ctx.api.create(res, 'default', { metadata: { name: 'w2' } })
      .catch((e: unknown) => e);
    assert.equal((err as { code?: number }).code, 403);
    assert.equal(a.elector.isLeader(), false, 'stepped down before any timer ran');
    assert.equal(ctx.signal.aborted, true, 'and the work was told at once');
    assert.deepEqual(sim.store.writes.length, 1);
    await sim.stopAll();
  });

  it('standbys watching the lease need no reads while a leader renews; takeover is as fast',
    async () => {
      const sim = new Sim();
      sim.store.watchable = true;
      const a = sim.add('a', false);
      await sim.runUntil(() => a.elector.isLeader());
      sim.add('b', false);
      sim.add('c', false);
      await sim.runFor(500);
      const gets = sim.store.gets;
      await sim.runFor(3_000);
      // Polling, two standbys would read 60 times in 3 s.
      assert.ok(sim.store.gets - gets <= 2, `${sim.store.gets - gets} reads`);
      assert.equal(sim.leaders()[0], a);
      a.view.cut = true;
      const stepDownMs = await sim.runUntil(() => !a.elector.isLeader());
      const takeoverMs = stepDownMs + (await sim.runUntil(() => sim.leaders().length === 1));
      const { leaseDurationMs, retryPeriodMs } = DEFAULT_LEADER_TIMING;
      assert.ok(takeoverMs <= leaseDurationMs + 2 * retryPeriodMs, `${takeoverMs} ms`);
      assert.equal(sim.maxLeaders, 1, 'never two leaders at once');
      assert.notEqual(sim.leaders()[0], a);
      a.view.cut = false;
      await sim.runFor(2_000);
      assert.equal(sim.leaders().length, 1);
      assert.notEqual(sim.leaders()[0], a, 'the old leader does not take it back');
      await sim.stopAll();
    });

  it('re-acquiring a lease that still names us takes a new fence (release first)', async () => {
    const sim = new Sim();
    const a = sim.add('a');
    await sim.runUntil(() => a.elector.isLeader());
    const first = a.ctx!.fence;
    a.view.cut = true;
    await sim.runUntil(() => !a.elector.isLeader());
    a.view.cut = false;
    await sim.runUntil(() => a.elector.isLeader());
    const second = a.ctx!.fence;
    assert.notEqual(second.revision, first.revision);
    await a.ctx!.api.create({ group: '', version: 'v1', resource: 'configmaps' },
      'default', { metadata: { name: 'x' } });
    assert.deepEqual(sim.store.writes, [`x by fence ${second.revision}`]);
    assert.equal(sim.store.leases.get('kube-system/lock')?.spec?.leaseTransitions, 1,
      'the release and re-acquire count as a transition');
    await sim.stopAll();
  });
});
