/**
 * Leader election against the real API server (3-member k8ts store, gRPC component API), with
 * k8ts' default timing: of three candidates exactly one leads; a leader that dies without
 * releasing (its run aborted with releaseOnCancel false: it just stops renewing) is replaced
 * after the lease expires; a graceful stop releases, and a standby takes over faster than any
 * expiry could allow; a deposed leader's fenced write is refused by the API server (403,
 * nothing written) and its elector steps down at once.
 */
import assert from 'node:assert/strict';
import type { Lease } from '../../../src/api/coordination/v1/lease.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { systemClock } from '../../../src/base/clock.js';
import { systemWallMs } from '../../../src/base/wall-clock.js';
import { ApiClient } from '../../../src/client/api-client.js';
import { DEFAULT_LEADER_TIMING, LeaderElector } from '../../../src/client/leader/elector.js';
import { acquired, LEASES } from '../../../src/client/leader/lease-record.js';
import type { LeadingContext } from '../../../src/client/leader/types.js';
import { startApiCluster, type ApiCluster } from '../../support/apiserver.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };

interface Candidate {
  id: string;
  elector: LeaderElector;
  stop: AbortController;
  done: Promise<void>;
  ctx: LeadingContext | undefined;
  stopped: number;
}

async function until(cond: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('leader election against the real API server', function () {
  this.timeout(60_000);
  let c: ApiCluster;
  let api: ApiClient;
  let cands: Candidate[] = [];

  const campaign = (lock: string, id: string, releaseOnCancel = true): Candidate => {
    const cand: Candidate = { id, stop: new AbortController(), ctx: undefined, stopped: 0,
      elector: undefined as unknown as LeaderElector, done: Promise.resolve() };
    cand.elector = new LeaderElector(
      { namespace: 'kube-system', name: lock, identity: id, ...DEFAULT_LEADER_TIMING,
        releaseOnCancel },
      { onStartedLeading: (ctx) => void (cand.ctx = ctx), onStoppedLeading: () => cand.stopped++ },
      { api, clock: systemClock, wallMs: systemWallMs, log: () => {} },
    );
    cand.done = cand.elector.run(cand.stop.signal);
    cands.push(cand);
    return cand;
  };
  /** takeOver makes identity the holder, retrying when a renewal of the leader gets in first. */
  const takeOver = async (lock: string, identity: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const lease = await api.get<Lease>(LEASES, 'kube-system', lock);
      const taken = acquired(lease, identity, 800, systemWallMs());
      const err = await api.update(LEASES, 'kube-system', taken).then(() => undefined,
        (e: unknown) => e);
      if (err === undefined) return;
      if ((err as { code?: number }).code !== 409 || attempt >= 20) throw err;
    }
  };
  const leaders = (): Candidate[] => cands.filter((x) => x.elector.isLeader());

  before(async function () {
    this.timeout(60_000);
    c = await startApiCluster({ servers: 1 });
    api = new ApiClient({ endpoints: c.grpcEndpoints, timeoutMs: 5_000 });
  });
  afterEach(async () => {
    cands.forEach((x) => x.stop.abort());
    await Promise.all(cands.map((x) => x.done));
    cands = [];
  });
  after(async () => {
    api?.close();
    await c?.stop();
  });

  it('one of three leads; a dead leader is replaced once its lease expires', async () => {
    for (const id of ['a', 'b', 'c']) campaign('lock-1', id, false);
    await until(() => leaders().length === 1, 'a leader');
    const first = leaders()[0]!;
    const lease = await api.get<Lease>(LEASES, 'kube-system', 'lock-1');
    assert.equal(lease.spec?.holderIdentity, first.id);
    assert.equal(lease.spec?.leaseDurationSeconds, 1);
    assert.match(lease.spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // Process death: no more renewals, no release.
    const t0 = Date.now();
    first.stop.abort();
    await until(() => leaders().length === 1 && !first.elector.isLeader(), 'a new leader');
    const expiryMs = Date.now() - t0;
    assert.ok(expiryMs >= DEFAULT_LEADER_TIMING.leaseDurationMs - DEFAULT_LEADER_TIMING
      .retryPeriodMs, `a standby must wait for the lease to expire (took ${expiryMs} ms)`);
    const after = await api.get<Lease>(LEASES, 'kube-system', 'lock-1');
    assert.equal(after.spec?.holderIdentity, leaders()[0]?.id);
    assert.equal(after.spec?.leaseTransitions, 1);
  });

  it('a graceful stop releases the lease: a standby takes over before any expiry', async () => {
    const a = campaign('lock-3', 'a');
    await until(() => a.elector.isLeader(), 'a leads');
    const b = campaign('lock-3', 'b');
    await until(() => b.elector.leader() === 'a', 'b observes a holding the lease');
    const t0 = Date.now();
    a.stop.abort();
    await until(() => b.elector.isLeader(), 'b after the release');
    const releaseMs = Date.now() - t0;
    assert.ok(releaseMs < DEFAULT_LEADER_TIMING.leaseDurationMs,
      `takeover after a release (${releaseMs} ms) must not wait for expiry`);
    await a.done;
    assert.equal(a.stopped, 1);
  });

  it('a deposed leader\'s fenced write is refused (403, nothing written); it steps down',
    async () => {
      const a = campaign('lock-2', 'a');
      await until(() => a.elector.isLeader(), 'a leads');
      const ctx = a.ctx!;
      const cm = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap',
        metadata: { name } });
      await ctx.api.create(CONFIGMAPS, 'default', cm('fenced-ok'));
      // Another holder takes the lease behind a's back (a's renewals now conflict, but the
      // fence is faster than the next renewal).
      await takeOver('lock-2', 'intruder');
      const err = await ctx.api.create(CONFIGMAPS, 'default', cm('fenced-no'))
        .catch((e: unknown) => e);
      assert.equal((err as { code?: number }).code, 403, String(err));
      assert.equal(a.elector.isLeader(), false);
      assert.equal(ctx.signal.aborted, true);
      assert.equal(a.stopped, 1);
      const names = (await api.list(CONFIGMAPS, 'default')).items.map((i) => i.metadata.name);
      assert.ok(names.includes('fenced-ok') && !names.includes('fenced-no'), names.join(','));
    });
});
