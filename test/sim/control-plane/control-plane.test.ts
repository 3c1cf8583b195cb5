/**
 * The control-plane simulation end to end: a few seeds of the full scenario (controller
 * managers, schedulers, hollow nodes, faults) hold every invariant and converge once healed; a
 * seed replays commit for commit; and the checker is not blind — with fences stripped before the
 * registry (a system that forgets fencing), a slowed leader's late writes are caught, and a
 * second ReplicaSet controller acting on the same sets is caught creating pods twice.
 */
import assert from 'node:assert/strict';
import { failureReport } from '../../../src/sim/control-plane/main.js';
import { RealTimeGuard } from '../../../src/sim/control-plane/guard.js';
import { replicaSetController } from '../../../src/controllers/replicaset/controller.js';
import {
  runSeed, simControllers, type CpSeedResult,
} from '../../../src/sim/control-plane/run.js';

/** QUICK: shorter phases than the CLI's, enough for a few leader changes and a node loss. */
const QUICK = { safetyMs: 20_000, livenessMs: 60_000 };

function explain(r: CpSeedResult): string {
  return `${failureReport(r)}\n${r.log.slice(-40).join('\n')}`;
}

describe('sim control plane: seeded runs', function () {
  this.timeout(180_000);

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: safe under faults and converged after heal`, async () => {
      const r = await runSeed(seed, QUICK);
      assert.ok(r.ok, explain(r));
      assert.ok(r.stats.binds > 0 && r.stats.fencedWrites > 0, 'the run did nothing');
      assert.ok(r.convergedAfterMs !== undefined);
    });
  }

  it('replays a seed exactly (same commits, same digest)', async () => {
    const a = await runSeed(4, { safetyMs: 10_000, livenessMs: 30_000 });
    const b = await runSeed(4, { safetyMs: 10_000, livenessMs: 30_000 });
    assert.ok(a.ok, explain(a));
    assert.equal(a.commits, b.commits);
    assert.equal(a.digest, b.digest);
    assert.deepEqual(a.ops, b.ops);
  });

  it('catches a deposed leader whose writes land when fences are stripped', async () => {
    const failures: CpSeedResult[] = [];
    for (let seed = 1; seed <= 10 && failures.length === 0; seed++) {
      const r = await runSeed(seed, { ...QUICK, faults: 'slow', stripFences: true });
      if (!r.ok) failures.push(r);
    }
    const r = failures[0];
    assert.ok(r !== undefined, 'no seed of 10 caught the unfenced writes');
    // The fence invariant must fire first; what the landed write then breaks may fire too (a
    // deposed ReplicaSet controller's create over-creates), and nothing else may.
    const names = r.violations.map((v) => v.invariant);
    assert.equal(names[0], 'fenced', explain(r));
    assert.ok(names.every((n) => n === 'fenced' || n === 'no-overcreate'), explain(r));
    assert.match(r.violations[0]?.detail ?? '', /landed with fence \d+ while the lease's holder/);
  });

  it('catches pods created twice when two ReplicaSet controllers act on the same sets', async () => {
    const twin = { name: 'replicaset-twin', start: replicaSetController.start };
    const r = await runSeed(2, { ...QUICK, controllers: [...simControllers(), twin] });
    assert.equal(r.ok, false, 'the duplicated controller went unnoticed');
    assert.deepEqual(r.violations.map((v) => v.invariant), ['no-overcreate'], explain(r));
  });
});

describe('sim control plane: real-time guard', () => {
  it('records real time and Node timers used while installed, and nothing after', () => {
    const g = new RealTimeGuard();
    g.install();
    try {
      Date.now();
      void new Date();
      void new Date(0);
      Math.random();
    } finally {
      g.uninstall();
    }
    Date.now();
    assert.deepEqual(g.leaks.map((l) => l.split(' ')[0]), ['Date.now', 'new', 'Math.random']);
    assert.match(g.leaks[0] ?? '', /control-plane\.test\.ts/);
  });

  it('counts pending setImmediate turns', async () => {
    const g = new RealTimeGuard();
    g.install();
    try {
      const ran = new Promise<void>((resolve) => setImmediate(resolve));
      const cleared = setImmediate(() => assert.fail('cleared'));
      assert.equal(g.immediates, 2);
      clearImmediate(cleared);
      await ran;
      assert.equal(g.immediates, 0);
    } finally {
      g.uninstall();
    }
  });
});
