/**
 * A real 3-member group as 3 processes (member-main.ts under the supervisor), on ephemeral ports
 * on 127.0.0.1 with a temp K8TS_HOME: election, commits through every member (follower
 * forwarding), leader crash and failover, restart and catch-up from the WAL, clean shutdown.
 */
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../src/base/clock.js';
import { loadClusterConfig } from '../../src/cluster/config.js';
import { MemberClients } from '../../src/cluster/member-client.js';
import { Supervisor } from '../../src/cluster/supervisor.js';
import { tempHome, waitFor, writeConfig } from '../support/cluster.js';

describe('cluster of member processes', function () {
  this.timeout(60_000);
  const home = tempHome();
  const env = { ...process.env, K8TS_HOME: home.dir };
  let sup: Supervisor;
  let clients: MemberClients;

  before(async () => {
    const path = await writeConfig(home.dir, 'proc', 3);
    sup = new Supervisor(loadClusterConfig(path), { clock: systemClock, env });
    clients = new MemberClients(sup.cfg);
  });
  after(async () => {
    clients.close();
    await sup.down(false);
    home.remove();
  });

  it('3 processes elect a leader', async () => {
    const leader = await sup.up();
    assert.equal(leader.role, 'leader');
    assert.ok(sup.cfg.members.every((m) => sup.pidOf(m) !== undefined));
  });

  it('members run the precompiled bundle, and their pids are recognised as members', () => {
    for (const m of sup.cfg.members) {
      const cmd = readFileSync(`/proc/${sup.pidOf(m)}/cmdline`, 'utf8').split('\0');
      const entry = cmd.find((a) => a.endsWith('/src/cluster/member-main.mjs')) ?? '';
      assert.equal(entry, join(sup.paths.root, 'bundle', 'src/cluster/member-main.mjs'), cmd.join(' '));
      assert.match(realpathSync(entry), /k8ts-bundles\/[0-9a-f]{24}\/src\/cluster\/member-main\.mjs$/);
    }
  });

  it('up is idempotent while the cluster runs', async () => {
    const pids = sup.cfg.members.map((m) => sup.pidOf(m));
    await sup.up();
    assert.deepEqual(sup.cfg.members.map((m) => sup.pidOf(m)), pids);
  });

  it('commits a proposal through every member (followers forward to the leader)', async () => {
    const indexes: number[] = [];
    for (const m of sup.cfg.members) {
      const { res, via } = await clients.propose(Buffer.from(`via ${m.name}`), systemClock, 10_000, m);
      assert.equal(via.name, m.name, 'the member itself answered: no redirect needed');
      indexes.push(res.index);
    }
    assert.deepEqual([...indexes].sort((a, b) => a - b), indexes);
  });

  it('elects a new leader after the leader is killed, and commits continue', async () => {
    const before = (await clients.statuses()).find((s) => s?.role === 'leader')!;
    sup.kill(before.name);
    const after = await waitFor('a new leader', async () => (await clients.statuses(300)).find((s) => s?.role === 'leader' && s.id !== before.id));
    assert.ok(after.term > before.term);
    const { res } = await clients.propose(Buffer.from('after failover'), systemClock, 10_000);
    assert.ok(res.index > before.commit);
    const rows = await sup.rows();
    assert.equal(rows.find((r) => r.spec.name === before.name)!.status, undefined, 'the killed member is down');
  });

  it('a restarted member catches up from its data dir and the leader', async () => {
    const down = (await sup.rows()).find((r) => r.status === undefined)!.spec;
    await sup.restart(down.name);
    const { res } = await clients.propose(Buffer.from('after restart'), systemClock, 10_000);
    const all = await waitFor('every member applied the last proposal', async () => {
      const s = await clients.statuses();
      return s.every((x) => x !== undefined && x.applied >= res.index && x.commit === s[0]!.commit) ? s : undefined;
    });
    assert.equal(new Set(all.map((s) => `${s!.commit}/${s!.applied}`)).size, 1, JSON.stringify(all));
  });

  it('down stops every member; all applied the same entries in the same order', async () => {
    assert.equal(await sup.down(false), 3);
    assert.ok(sup.cfg.members.every((m) => sup.pidOf(m) === undefined));
    const finals = sup.cfg.members.map((m) => {
      const lines = readFileSync(sup.logFile(m), 'utf8').trim().split('\n');
      return /stopping \(applied (\d+), state (\S+)\)/.exec(lines.findLast((l) => l.includes('SIGTERM')) ?? '')?.slice(1).join(' ');
    });
    assert.ok(finals[0] !== undefined, 'member logged its final state');
    assert.equal(new Set(finals).size, 1, finals.join(' | '));
  });
});
