/**
 * The `k8ts` command end to end, as a user runs it (bin/k8ts.js in a child process) against a
 * temp K8TS_HOME and a config on ephemeral 127.0.0.1 ports: up, status, propose, kill, restart,
 * down, and the errors a user sees.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempHome, writeConfig } from '../support/cluster.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function k8ts(home: string, ...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/k8ts.js', ...args], { env: { ...process.env, K8TS_HOME: home } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** rowsOf parses the status table into { member: [id, address, role, ...] }. */
function rowsOf(table: string): Map<string, string[]> {
  const lines = table.trim().split('\n');
  assert.match(lines[0]!, /^MEMBER\s+ID\s+PEER\s+CLIENT\s+ROLE\s+TERM\s+LEADER\s+COMMIT\s+APPLIED\s+STATE\s+API\s+CONTROLLERS\s+SCHEDULER$/);
  return new Map(lines.slice(1).map((l) => {
    const [name, ...rest] = l.trim().split(/\s+/);
    return [name!, rest];
  }));
}

describe('k8ts CLI', function () {
  this.timeout(60_000);
  const home = tempHome('k8ts-cli-');
  let cfg = '';

  before(async () => {
    cfg = await writeConfig(home.dir, 'cli', 3);
  });
  after(async () => {
    await k8ts(home.dir, 'down', '--name', 'cli', '--purge');
    home.remove();
  });

  it('up starts the cluster and returns once a leader is elected', async () => {
    const r = await k8ts(home.dir, 'up', '-f', cfg);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /started m1 .* pid \d+/);
    assert.match(r.stdout, /leader elected: m\d \(id \d\) term \d+/);
  });

  it('up again is idempotent', async () => {
    const r = await k8ts(home.dir, 'up', '-f', cfg);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /m1 already running/);
    assert.doesNotMatch(r.stdout, /started/);
  });

  it('up from another state dir refuses addresses a running cluster holds', async () => {
    const other = tempHome('k8ts-cli-other-');
    try {
      const r = await k8ts(other.dir, 'up', '-f', cfg);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /m1: 127\.0\.0\.1:\d+ is already in use by another process/);
      assert.doesNotMatch(r.stdout, /started/);
    } finally {
      other.remove();
    }
  });

  it('status shows every member with one leader', async () => {
    const r = await k8ts(home.dir, 'status', '--name', 'cli');
    assert.equal(r.code, 0, r.stderr);
    const rows = rowsOf(r.stdout);
    assert.deepEqual([...rows.keys()], ['m1', 'm2', 'm3']);
    assert.equal([...rows.values()].filter((c) => c[3] === 'leader').length, 1);
  });

  it('propose commits text through the cluster', async () => {
    const r = await k8ts(home.dir, 'propose', 'hello', 'world', '--name', 'cli');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /committed at index \d+, term \d+ \(via m\d\)/);
  });

  it('kill shows the member down; restart brings it back caught up', async () => {
    let r = await k8ts(home.dir, 'kill', 'm2', '--name', 'cli');
    assert.equal(r.code, 0, r.stderr);
    r = await k8ts(home.dir, 'status', '--name', 'cli');
    assert.equal(rowsOf(r.stdout).get('m2')![3], 'down');
    r = await k8ts(home.dir, 'propose', 'while m2 is down', '--name', 'cli');
    assert.equal(r.code, 0, r.stderr);
    r = await k8ts(home.dir, 'restart', 'm2', '--name', 'cli');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /m2 is back/);
    for (let i = 0; i < 50; i++) {
      r = await k8ts(home.dir, 'status', '--name', 'cli');
      const rows = [...rowsOf(r.stdout).values()];
      if (rows.every((c) => c[3] !== 'down' && c[7] === rows[0]![7] && c[6] === c[7] && c[8] === rows[0]![8])) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.fail(`m2 did not catch up:\n${r.stdout}`);
  });

  it('reports errors on stderr with exit code 1', async () => {
    let r = await k8ts(home.dir, 'kill', 'm9', '--name', 'cli');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no node m9 in cluster cli \(nodes: m1, m2, m3\)/);
    r = await k8ts(home.dir, 'status', '--name', 'nope');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no cluster named nope/);
    r = await k8ts(home.dir, 'frobnicate');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown command frobnicate/);
    const bad = join(home.dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nmembers:\n  - { id: 1, name: m1, address: 127.0.0.1 }\n');
    r = await k8ts(home.dir, 'up', '-f', bad);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${bad}:3:33: members\\[0\\]\\.address`));
  });

  it('up refuses an even member count unless --force', async () => {
    const even = join(home.dir, 'even.yaml');
    writeFileSync(even, 'name: even\nmembers:\n  - { id: 1, name: m1, address: 127.0.0.1:1 }\n  - { id: 2, name: m2, address: 127.0.0.1:2 }\n');
    const r = await k8ts(home.dir, 'up', '-f', even);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /2 members is an even count/);
    assert.match(r.stderr, /--force/);
  });

  it('down stops everything and --purge deletes the state', async () => {
    const r = await k8ts(home.dir, 'down', '--name', 'cli', '--purge');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stopped 3 member\(s\), state purged/);
    assert.equal(existsSync(join(home.dir, 'cli')), false);
  });
});
