/**
 * The chaos run against real member processes: a few seeded rounds of kills and pauses with
 * writers running, then its own checks (convergence, no lost acknowledged write) must pass.
 */
import assert from 'node:assert/strict';
import { systemClock } from '../../src/base/clock.js';
import { loadClusterConfig } from '../../src/cluster/config.js';
import { Supervisor } from '../../src/cluster/supervisor.js';
import { runMemberFaults } from '../../chaos/member-faults.js';
import { tempHome, writeConfig } from '../support/cluster.js';

describe('chaos: member faults on a real group', function () {
  this.timeout(120_000);
  const home = tempHome();
  const env = { ...process.env, K8TS_HOME: home.dir };
  let sup: Supervisor;

  before(async () => {
    sup = new Supervisor(loadClusterConfig(await writeConfig(home.dir, 'chaos', 3)), { clock: systemClock, env });
    await sup.up();
  });
  after(async () => {
    await sup.down(true);
    home.remove();
  });

  it('kills and pauses members while writes run, loses no acknowledged write, and converges', async () => {
    const lines: string[] = [];
    const r = await runMemberFaults(sup, { rounds: 4, seed: 11, writers: 2, log: (l) => lines.push(l) });
    assert.deepEqual(r.problems, [], lines.join('\n'));
    assert.equal(lines.length, 4, 'one line per round');
    assert.ok(r.acked > 0, `writes were acknowledged during the run: ${JSON.stringify(r)}`);
    assert.ok(r.appliedDuringRun >= r.acked);
  });
});
