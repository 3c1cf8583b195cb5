/**
 * The real etcdctl (Debian's etcd-client 3.4) against a 3-member k8ts store: every command an
 * operator runs against etcd, with etcd's own output. Nothing here knows the store is not etcd.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/cluster.js';
import { freePorts } from '../support/ports.js';
import { startStoreCluster, type StoreCluster } from '../support/store.js';

const HAVE_ETCDCTL = spawnSync('etcdctl', ['version']).status === 0;

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

describe('etcdctl against the k8ts store', function () {
  this.timeout(60_000);
  let c: StoreCluster;
  let endpoints = '';
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-etcdctl-'));

  /** etcdctl runs one command against every member (or `at`), with optional stdin. */
  const etcdctl = (args: string[], o: { at?: string; stdin?: string } = {}): Promise<Out> =>
    new Promise((resolve) => {
      const child = execFile('etcdctl', [`--endpoints=${o.at ?? endpoints}`, '--command-timeout=5s', ...args],
        { env: { ...process.env, ETCDCTL_API: '3' } }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
      if (o.stdin !== undefined) child.stdin!.end(o.stdin);
    });
  const ok = async (args: string[], o: { at?: string; stdin?: string } = {}): Promise<string> => {
    const r = await etcdctl(args, o);
    assert.equal(r.code, 0, `etcdctl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  before(async function () {
    if (!HAVE_ETCDCTL) {
      console.log('    (etcdctl not installed: apt-get install -y etcd-client; .ci/run does)');
      this.skip();
    }
    c = await startStoreCluster(3);
    endpoints = c.endpoints.join(',');
  });
  after(async () => {
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('put and get, through any member', async () => {
    assert.equal(await ok(['put', '/k/a', 'alpha'], { at: c.endpoints[0] }), 'OK\n');
    assert.equal(await ok(['put', '/k/b', 'beta'], { at: c.endpoints[1] }), 'OK\n');
    assert.equal(await ok(['get', '/k/a'], { at: c.endpoints[2] }), '/k/a\nalpha\n');
  });

  it('get --prefix, --keys-only, --limit and -w json', async () => {
    await ok(['put', '/k/c', 'gamma']);
    assert.equal(await ok(['get', '--prefix', '/k/']), '/k/a\nalpha\n/k/b\nbeta\n/k/c\ngamma\n');
    assert.equal(await ok(['get', '--prefix', '--keys-only', '/k/']), '/k/a\n\n/k/b\n\n/k/c\n\n');
    assert.equal(await ok(['get', '--prefix', '--limit=1', '/k/']), '/k/a\nalpha\n');
    const j = JSON.parse(await ok(['get', '--prefix', '--limit=2', '/k/', '-w', 'json'])) as {
      header: { cluster_id: number; revision: number };
      kvs: { key: string; value: string; version: number; create_revision: number; mod_revision: number }[];
      more: boolean;
      count: number;
    };
    assert.equal(j.count, 3);
    assert.equal(j.more, true);
    assert.equal(j.kvs.length, 2);
    assert.equal(Buffer.from(j.kvs[0]!.key, 'base64').toString(), '/k/a');
    assert.equal(Buffer.from(j.kvs[1]!.value, 'base64').toString(), 'beta');
    assert.equal(j.kvs[0]!.version, 1);
    assert.ok(j.header.revision >= j.kvs[1]!.mod_revision);
  });

  it('get --rev reads the past; del removes', async () => {
    const rev = (JSON.parse(await ok(['get', '/k/a', '-w', 'json'])) as { kvs: { mod_revision: number }[] }).kvs[0]!.mod_revision;
    await ok(['put', '/k/a', 'alpha2']);
    assert.equal(await ok(['get', `--rev=${rev}`, '/k/a']), '/k/a\nalpha\n');
    assert.equal(await ok(['get', '/k/a']), '/k/a\nalpha2\n');
    assert.equal(await ok(['del', '/k/c']), '1\n');
    assert.equal(await ok(['del', '--prev-kv', '/k/b']), '1\n/k/b\nbeta\n');
    assert.equal(await ok(['get', '--prefix', '--keys-only', '/k/']), '/k/a\n\n');
  });

  it('txn: compares, success and failure branches', async () => {
    const yes = await ok(['txn'], { stdin: 'value("/k/a") = "alpha2"\n\nput /k/t yes\n\nput /k/t no\n\n' });
    assert.equal(yes, 'SUCCESS\n\nOK\n');
    const no = await ok(['txn'], { stdin: 'version("/k/a") = "7"\n\nput /k/t yes2\n\nget /k/t\n\n' });
    assert.equal(no, 'FAILURE\n\n/k/t\nyes\n');
  });

  it('watch --rev replays history, then follows; --prev-kv shows the old value', async () => {
    const first = (JSON.parse(await ok(['put', '/w/x', '1', '-w', 'json'])) as { header: { revision: number } }).header.revision;
    await ok(['put', '/w/x', '2']);
    const w = spawn('etcdctl', [`--endpoints=${c.endpoints[1]}`, 'watch', '--prefix', '/w/', `--rev=${first}`, '--prev-kv'], { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    w.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('the history', () => out.includes('/w/x\n2\n'), 10_000);
      await ok(['put', '/w/y', '3'], { at: c.endpoints[0] });
      await ok(['del', '/w/x'], { at: c.endpoints[2] });
      await waitFor('the live events', () => out.includes('DELETE'), 10_000);
      assert.equal(out, 'PUT\n/w/x\n1\nPUT\n/w/x\n1\n/w/x\n2\nPUT\n/w/y\n3\nDELETE\n/w/x\n2\n/w/x\n\n');
    } finally {
      w.kill();
    }
  });

  it('lease grant, put --lease, timetolive --keys, list, keep-alive --once, revoke', async () => {
    const grant = await ok(['lease', 'grant', '30']);
    const m = /^lease ([0-9a-f]+) granted with TTL\(30s\)\n$/.exec(grant);
    assert.ok(m, grant);
    const id = m[1]!;
    await ok(['put', '--lease', id, '/l/a', 'leased']);
    const ttl = await ok(['lease', 'timetolive', '--keys', id]);
    assert.match(ttl, new RegExp(`^lease ${id} granted with TTL\\(30s\\), remaining\\((29|30)s\\), attached keys\\(\\[/l/a\\]\\)\\n$`));
    assert.match(await ok(['lease', 'list']), new RegExp(`found \\d+ leases\\n(.*\\n)*${id}\\n`));
    assert.equal(await ok(['lease', 'keep-alive', '--once', id], { at: c.endpoints[2] }), `lease ${id} keepalived with TTL(30)\n`);
    assert.equal(await ok(['lease', 'revoke', id]), `lease ${id} revoked\n`);
    assert.equal(await ok(['get', '/l/a']), '');
    assert.match(await ok(['lease', 'timetolive', id]), new RegExp(`lease ${id} already expired`));
  });

  it('member list shows names, peer and client URLs; member add (learner) and remove', async () => {
    const list = await waitFor('published member attributes', async () => {
      const out = await ok(['member', 'list']);
      return out.split('\n').filter((l) => / started, m\d, /.test(l)).length === 3 ? out : undefined;
    });
    for (let i = 0; i < 3; i++) {
      assert.match(list, new RegExp(`^${(i + 1).toString(16)}, started, m${i + 1}, http://[\\d.:]+, http://${c.endpoints[i]}, false$`, 'm'));
    }
    const [port] = await freePorts(1);
    const added = await ok(['member', 'add', 'm4', `--peer-urls=http://127.0.0.1:${port}`, '--learner']);
    const id = /Member\s+([0-9a-f]+) added to cluster/.exec(added)?.[1];
    assert.ok(id, added);
    assert.match(await ok(['member', 'list']), new RegExp(`^${id}, unstarted, , http://127.0.0.1:${port}, , true$`, 'm'));
    assert.match(await ok(['member', 'remove', id]), new RegExp(`Member\\s+${id} removed from cluster`));
    assert.doesNotMatch(await ok(['member', 'list']), new RegExp(`^${id},`, 'm'));
  });

  it('endpoint status, health and hashkv on every member', async () => {
    const status = await ok(['endpoint', 'status']);
    const rows = status.trim().split('\n');
    assert.equal(rows.length, 3);
    assert.equal(rows.filter((r) => /, true, false, \d+, \d+, \d+, $/.test(r)).length, 1, status);
    for (const r of rows) assert.match(r, /^127\.0\.0\.1:\d+, [0-9a-f]+, 3\.4\.\d+, /);
    const health = await etcdctl(['endpoint', 'health']);
    assert.equal(health.code, 0, health.stderr);
    assert.equal((health.stdout + health.stderr).match(/is healthy: successfully committed proposal/g)?.length, 3);
    const hashes = await waitFor('equal hashes', async () => {
      const out = await ok(['endpoint', 'hashkv']);
      const hs = out.trim().split('\n').map((l) => l.split(', ')[1]);
      return hs.length === 3 && hs.every((h) => h === hs[0]) ? hs : undefined;
    });
    assert.ok(Number(hashes[0]) > 0);
  });

  it('compaction, then reading the compacted past fails as etcd fails', async () => {
    const rev = (JSON.parse(await ok(['get', '/k/a', '-w', 'json'])) as { header: { revision: number } }).header.revision;
    assert.equal(await ok(['compaction', String(rev)]), `compacted revision ${rev}\n`);
    const r = await etcdctl(['get', '--rev=2', '/k/a']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /etcdserver: mvcc: required revision has been compacted/);
    const again = await etcdctl(['compaction', String(rev)]);
    assert.match(again.stderr, /required revision has been compacted/);
    const future = await etcdctl(['get', `--rev=${rev + 1000}`, '/k/a']);
    assert.match(future.stderr, /required revision is a future revision/);
  });

  it('snapshot save writes the image with its checksum; alarm list is empty', async () => {
    const file = join(dir, 'snap.db');
    const out = await etcdctl(['snapshot', 'save', file], { at: c.endpoints[0] });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`Snapshot saved at ${file}`));
    const bytes = readFileSync(file);
    assert.equal(bytes.length % 512, 32, 'whole blocks, then the SHA-256');
    const body = bytes.subarray(0, bytes.length - 32);
    assert.deepEqual(bytes.subarray(bytes.length - 32), createHash('sha256').update(body).digest());
    assert.match(body.toString('latin1', 0, 32), /^k8ts-store-snapshot\/v1\n/);
    assert.equal(await ok(['alarm', 'list']), '');
  });

  it('bad input gets etcd errors: empty key, too-large request', async () => {
    const empty = await etcdctl(['put', '', 'v']);
    assert.notEqual(empty.code, 0);
    assert.match(empty.stderr, /key is not provided/);
    // 1.6 MiB: over the server's 1.5 MiB limit, under clientv3's own 2 MiB send limit.
    const big = await etcdctl(['put', '/big'], { stdin: 'x'.repeat(1.6 * 1024 * 1024) });
    assert.notEqual(big.code, 0);
    assert.match(big.stderr, /etcdserver: request is too large/);
  });
});
