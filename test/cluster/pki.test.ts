/**
 * The cluster PKI: DER encodings checked against X.690 byte for byte, certificates checked by
 * three independent verifiers (node's X509Certificate, `openssl verify`, and Go's crypto/x509
 * through the real kubectl and etcd), and ensureClusterPki's idempotence rules.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import {
  BACKDATE_MS, CA_VALIDITY_MS, LEAF_VALIDITY_MS, PkiError, ensureClusterPki, firstServiceIp,
  type ClusterPki, type ClusterPkiOptions,
} from '../../src/cluster/pki/cluster-pki.js';
import { ipAddressBytes } from '../../src/cluster/pki/certificate.js';
import { writeFileExclusive } from '../../src/cluster/pki/files.js';
import {
  namedBits, oid, setOf, smallInteger, time, tlv, unsignedInteger, utf8String,
} from '../../src/cluster/pki/der.js';
import { apiServerUrl, writeClusterKubeconfig } from '../../src/cluster/kubeconfig.js';
import type { TlsFiles } from '../../src/rpc/credentials.js';
import { leaderOf, startInProcess, tempHome, waitFor } from '../support/cluster.js';
import { freePorts } from '../support/ports.js';

const run = promisify(execFile);
const hex = (b: Buffer): string => b.toString('hex');
const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

/** counter is a deterministic randomBytes: serials then read 01 02 03 ... */
function counter(): (n: number) => Buffer {
  let next = 0;
  return (n) => Buffer.from(Array.from({ length: n }, () => (next = (next + 1) % 256)));
}

const OPTS: ClusterPkiOptions = {
  masters: [{ name: 'm1', ips: ['127.0.1.1'] }, { name: 'm2', ips: ['127.0.1.2', '::1'] }],
  serviceIp: firstServiceIp('127.96.0.0/16'),
  nodes: ['m1', 'w1'],
  wallMs: () => NOW_MS,
  randomBytes: counter(),
};

describe('DER encoding (X.690)', () => {
  it('uses short and long definite lengths minimally', () => {
    assert.equal(hex(tlv(0x04, Buffer.alloc(127))).slice(0, 4), '047f');
    assert.equal(hex(tlv(0x04, Buffer.alloc(128))).slice(0, 6), '048180');
    assert.equal(hex(tlv(0x04, Buffer.alloc(256))).slice(0, 8), '04820100');
  });

  it('encodes INTEGERs minimally, positive even with the top bit set', () => {
    assert.equal(hex(smallInteger(0)), '020100');
    assert.equal(hex(smallInteger(2)), '020102');
    assert.equal(hex(smallInteger(128)), '02020080');
    assert.equal(hex(unsignedInteger(Buffer.from([0, 0, 0x7f]))), '02017f');
    assert.equal(hex(unsignedInteger(Buffer.from([0xff]))), '020200ff');
  });

  it('encodes OIDs (ecdsa-with-SHA256, commonName)', () => {
    assert.equal(hex(oid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
    assert.equal(hex(oid('2.5.4.3')), '0603550403');
  });

  it('drops trailing zero bits of named bit strings (keyUsage)', () => {
    assert.equal(hex(namedBits([0])), '03020780'); // digitalSignature
    assert.equal(hex(namedBits([0, 5, 6])), '03020186'); // + keyCertSign, cRLSign
    assert.equal(hex(namedBits([8])), '0303070080');
  });

  it('sorts SET OF by encoding', () => {
    const [a, b] = [utf8String('b'), utf8String('a')];
    assert.equal(hex(setOf(a, b)), `3106${hex(b)}${hex(a)}`);
  });

  it('writes UTCTime until 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    const last = Date.UTC(2049, 11, 31, 23, 59, 59, 999);
    assert.equal(time(last).toString('latin1', 2), '491231235959Z');
    assert.equal(time(Date.UTC(2050, 0, 1)).toString('latin1', 2), '20500101000000Z');
    assert.equal(time(Date.UTC(2050, 0, 1))[0], 0x18);
  });

  it('encodes IP addresses as 4 or 16 bytes', () => {
    assert.equal(hex(ipAddressBytes('127.0.1.2')), '7f000102');
    assert.equal(hex(ipAddressBytes('::1')), `${'0'.repeat(30)}01`);
    assert.equal(hex(ipAddressBytes('fd00:1::2')), 'fd000001000000000000000000000002');
    assert.equal(hex(ipAddressBytes('::ffff:127.0.0.1')), '00000000000000000000ffff7f000001');
  });
});

describe('ensureClusterPki', () => {
  const home = tempHome('k8ts-pki-');
  const dir = join(home.dir, 'pki');
  let pki: ClusterPki;
  const cert = (path: string): X509Certificate => new X509Certificate(readFileSync(path));
  after(() => home.remove());
  before(() => {
    pki = ensureClusterPki(dir, OPTS);
  });

  it('makes a self-signed CA valid for 10 years, backdated an hour', () => {
    const ca = cert(pki.caFile);
    assert.equal(ca.ca, true);
    assert.equal(ca.subject, 'CN=k8ts-ca');
    assert.ok(ca.checkIssued(ca) && ca.verify(ca.publicKey));
    assert.equal(Date.parse(ca.validFrom), NOW_MS - BACKDATE_MS);
    assert.equal(Date.parse(ca.validTo), NOW_MS + CA_VALIDITY_MS);
  });

  it('signs every leaf with the CA, valid for a year', () => {
    const ca = cert(pki.caFile);
    const leaves = [...pki.apiServers.values(), ...pki.members.values(), ...pki.nodes.values(),
      pki.admin, pki.scheduler, pki.controllerManager, pki.proxy, pki.etcdClient, pki.storeClient];
    assert.equal(leaves.length, 12);
    for (const files of leaves) {
      const c = cert(files.certFile);
      assert.ok(c.checkIssued(ca) && c.verify(ca.publicKey), files.certFile);
      assert.equal(c.ca, false);
      assert.equal(Date.parse(c.validTo), NOW_MS + LEAF_VALIDITY_MS);
      assert.equal(statSync(files.keyFile).mode & 0o777, 0o600, files.keyFile);
    }
    assert.equal(statSync(pki.caKeyFile).mode & 0o777, 0o600);
  });

  it('names master IPs, loopback, the service IP, kubernetes.* in serving certificates', () => {
    const m2 = cert(pki.apiServers.get('m2')?.certFile ?? '');
    for (const ip of ['127.0.1.2', '::1', '127.0.0.1', '127.96.0.1']) {
      assert.equal(m2.checkIP(ip), ip);
    }
    assert.equal(m2.checkIP('127.0.1.1'), undefined);
    for (const d of ['localhost', 'kubernetes', 'kubernetes.default.svc.cluster.local']) {
      assert.equal(m2.checkHost(d, { subject: 'never' }), d);
    }
    assert.deepEqual(m2.keyUsage, ['1.3.6.1.5.5.7.3.1']); // serverAuth only
  });

  it('gives clients CN = user and O = groups', () => {
    assert.equal(cert(pki.admin.certFile).subject, 'O=system:masters\nCN=kubernetes-admin');
    const w1 = cert(pki.nodes.get('w1')?.certFile ?? '');
    assert.equal(w1.subject, 'O=system:nodes\nCN=system:node:w1');
    assert.equal(cert(pki.scheduler.certFile).subject, 'CN=system:kube-scheduler');
    assert.deepEqual(cert(pki.admin.certFile).keyUsage, ['1.3.6.1.5.5.7.3.2']);
  });

  it('writes what the store\'s tls dir holds: ca.crt, <member>.crt/.key, client.crt/.key', () => {
    const names = ['ca.crt', 'm1.crt', 'm1.key', 'm2.crt', 'm2.key', 'client.crt', 'client.key'];
    for (const f of names) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    const m1 = cert(join(dir, 'm1.crt'));
    assert.equal(m1.checkIP('127.0.1.1'), '127.0.1.1');
    assert.deepEqual(m1.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('draws serials from the injected randomness, positive', () => {
    assert.equal(cert(pki.caFile).serialNumber, '0102030405060708090A0B0C0D0E0F10');
  });

  it('reuses everything on a second run, byte for byte', () => {
    const before = snapshot(dir);
    const again = ensureClusterPki(dir, { ...OPTS, wallMs: () => NOW_MS + 86_400_000 });
    assert.deepEqual(again.written, []);
    assert.deepEqual(snapshot(dir), before);
  });

  it('reissues only what changed: a master\'s new IP, a leaf near expiry, a corrupt leaf', () => {
    const caBefore = readFileSync(pki.caFile, 'utf8');
    const moved = { ...OPTS, masters: [{ name: 'm1', ips: ['127.0.1.9'] }, OPTS.masters[1]!] };
    // The member m1 is the same machine (members default to the masters): its cert moves too.
    assert.deepEqual(ensureClusterPki(dir, moved).written,
      ['apiserver-m1.key', 'apiserver-m1.crt', 'm1.key', 'm1.crt']);
    assert.equal(cert(pki.apiServers.get('m1')?.certFile ?? '').checkIP('127.0.1.9'), '127.0.1.9');
    const lateOpts = { ...moved, wallMs: () => NOW_MS + LEAF_VALIDITY_MS - 86_400_000 };
    assert.equal(ensureClusterPki(dir, lateOpts).written.length, 26); // all 13 leaves, not the CA
    rmSync(pki.admin.keyFile);
    assert.deepEqual(ensureClusterPki(dir, lateOpts).written, ['admin.key', 'admin.crt']);
    writeFileSync(pki.proxy.certFile, 'not a certificate');
    assert.deepEqual(ensureClusterPki(dir, lateOpts).written, ['kube-proxy.key', 'kube-proxy.crt']);
    assert.equal(readFileSync(pki.caFile, 'utf8'), caBefore);
  });

  it('never replaces a CA: half a CA is an error that names both files', () => {
    const other = join(home.dir, 'half');
    ensureClusterPki(other, OPTS);
    const key = readFileSync(join(other, 'ca.key'));
    unlinkSync(join(other, 'ca.crt'));
    assert.throws(() => ensureClusterPki(other, OPTS),
      (e: unknown) =>
        e instanceof PkiError && /ca\.key exists but .*ca\.crt does not/.test(e.message));
    assert.deepEqual(readFileSync(join(other, 'ca.key')), key);
  });

  it('refuses a CA that has expired, and never clobbers a CA file created concurrently', () => {
    const expired = { ...OPTS, wallMs: () => NOW_MS + CA_VALIDITY_MS };
    assert.throws(() => ensureClusterPki(dir, expired), /the cluster CA expires .*delete ca\.crt/);
    assert.throws(() => writeFileExclusive(pki.caKeyFile, 'other', 0o600), /EEXIST/);
    assert.match(readFileSync(pki.caKeyFile, 'utf8'), /BEGIN EC PRIVATE KEY/);
  });

  it('takes the first host of the service CIDR for the kubernetes Service', () => {
    assert.equal(firstServiceIp('127.96.0.0/16'), '127.96.0.1');
    assert.equal(firstServiceIp('100.96.7.9/24'), '100.96.7.1');
    assert.throws(() => firstServiceIp('127.96.0.0/31'), PkiError);
  });

  it('refuses identities that would share files', () => {
    const clash = { ...OPTS, members: [{ name: 'admin', ips: ['127.0.1.1'] }] };
    assert.throws(() => ensureClusterPki(join(home.dir, 'clash'), clash), /share admin\.crt/);
    const badIp = { ...OPTS, serviceIp: 'x' };
    assert.throws(() => ensureClusterPki(join(home.dir, 'clash'), badIp), PkiError);
  });

  it('openssl verify accepts every certificate, with the TLS purposes', function () {
    if (spawnSync('openssl', ['version']).status !== 0) {
      console.log('      (skipped: no openssl binary here to cross-check with)');
      this.skip();
    }
    // A fresh PKI on the real clock: openssl checks validity against now.
    const fresh = ensureClusterPki(join(home.dir, 'fresh'), { ...OPTS, wallMs: undefined });
    const check = (purpose: string, files: string[]): void => {
      const args = ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', fresh.caFile];
      const r = spawnSync('openssl', [...args, ...files], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    };
    const servers = [...fresh.apiServers.values(), ...fresh.members.values()];
    const clients = [...fresh.nodes.values(), ...fresh.members.values(), fresh.admin,
      fresh.scheduler, fresh.controllerManager, fresh.proxy, fresh.etcdClient, fresh.storeClient];
    check('sslserver', servers.map((f) => f.certFile));
    check('sslclient', clients.map((f) => f.certFile));
  });
});

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
    out[f] = createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
  }
  return out;
}

describe('the PKI over real TLS: node, kubectl (Go) and etcd (Go)', function () {
  this.timeout(30_000);
  const home = tempHome('k8ts-pki-tls-');
  const dir = join(home.dir, 'pki');
  let pki: ClusterPki;
  let server: Server;
  let seen: { authorized: boolean; cn: string; o: string[] } | undefined;

  before(async () => {
    pki = ensureClusterPki(dir, { masters: [{ name: 'm1', ips: ['127.0.0.1'] }] });
    const serving = pki.apiServers.get('m1')!;
    server = createServer({
      ca: readFileSync(pki.caFile),
      cert: readFileSync(serving.certFile),
      key: readFileSync(serving.keyFile),
      requestCert: true, rejectUnauthorized: false,
    }, (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      const o = peer.subject?.O as string | string[] | undefined;
      const groups = o === undefined ? [] : [o].flat();
      seen = { authorized: socket.authorized, cn: String(peer.subject?.CN), o: groups };
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0+k8ts' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => {
    server.close();
    home.remove();
  });
  const port = (): number => (server.address() as AddressInfo).port;

  it('node:https accepts the serving cert and reads CN/O from the client cert', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: port(), path: '/version', ca: readFileSync(pki.caFile),
        cert: readFileSync(pki.admin.certFile), key: readFileSync(pki.admin.keyFile),
      }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    assert.match(body, /v1\.32\.0\+k8ts/);
    assert.deepEqual(seen, { authorized: true, cn: 'kubernetes-admin', o: ['system:masters'] });
  });

  it('the real kubectl 1.32 (Go crypto/tls) talks to it with our kubeconfig', async function () {
    if (!existsSync(KUBECTL)) this.skip();
    seen = undefined;
    const server = apiServerUrl(`127.0.0.1:${port()}`);
    const { path } = writeClusterKubeconfig(home.dir, 'demo', server, pki);
    const env = { PATH: process.env.PATH ?? '', HOME: home.dir };
    const args = ['--kubeconfig', path, 'get', '--raw', '/version'];
    const { stdout } = await run(KUBECTL, args, { env });
    assert.equal(JSON.parse(stdout).gitVersion, 'v1.32.0+k8ts');
    assert.deepEqual(seen, { authorized: true, cn: 'kubernetes-admin', o: ['system:masters'] });
  });

  it('a Raft group elects and commits over mTLS with the cluster PKI as tls dir', async () => {
    const raft = ensureClusterPki(join(home.dir, 'raft'), {
      masters: ['m1', 'm2', 'm3'].map((name) => ({ name, ips: ['127.0.0.1'] })),
    });
    // The file names member-main.ts reads from `tls: { dir }`.
    const tls = (name: string): TlsFiles => ({
      caFile: join(raft.dir, 'ca.crt'),
      certFile: join(raft.dir, `${name}.crt`),
      keyFile: join(raft.dir, `${name}.key`),
    });
    const ms = await startInProcess(3, { tls });
    try {
      const leader = await waitFor('a leader', () => leaderOf(ms));
      const p = leader.node.propose(Buffer.from('over the cluster PKI'));
      leader.kick();
      const c = await p;
      await waitFor('replicated', () => ms.every((m) => m.node.appliedIndex() >= c.index));
    } finally {
      await Promise.all(ms.map((m) => m.stop()));
    }
  });

  it('the real etcd and etcdctl (Go) accept member and etcd-client certs', async function () {
    const has = (bin: string, arg: string): boolean => spawnSync(bin, [arg]).status === 0;
    if (!has('etcd', '--version') || !has('etcdctl', 'version')) this.skip();
    const [clientPort, peerPort] = await freePorts(2);
    const etcd = startTlsEtcd(pki, join(home.dir, 'etcd'), clientPort!, peerPort!);
    try {
      const ctl = ['--endpoints', `https://127.0.0.1:${clientPort}`, '--cacert', pki.caFile,
        '--cert', pki.etcdClient.certFile, '--key', pki.etcdClient.keyFile, '--dial-timeout', '2s'];
      await waitForEtcd(ctl);
      await run('etcdctl', [...ctl, 'put', '/k8ts/pki', 'ok'], { env: etcdctlEnv() });
      const get = [...ctl, 'get', '--print-value-only', '/k8ts/pki'];
      const { stdout } = await run('etcdctl', get, { env: etcdctlEnv() });
      assert.equal(stdout.trim(), 'ok');
      // A serving certificate from the same CA is no client certificate (serverAuth only).
      const serving = pki.apiServers.get('m1')!;
      const rogue = ctl.map((a) => (a === pki.etcdClient.certFile ? serving.certFile : a))
        .map((a) => (a === pki.etcdClient.keyFile ? serving.keyFile : a));
      await assert.rejects(run('etcdctl', [...rogue, 'get', '/k8ts/pki'], { env: etcdctlEnv() }));
    } finally {
      etcd.kill('SIGKILL');
    }
  });
});

function etcdctlEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', ETCDCTL_API: '3' };
}

/** startTlsEtcd runs one etcd member with client and peer mTLS from the member certificate. */
function startTlsEtcd(
  pki: ClusterPki, dataDir: string, clientPort: number, peerPort: number,
): ChildProcess {
  const m1 = pki.members.get('m1')!;
  const client = `https://127.0.0.1:${clientPort}`;
  const peer = `https://127.0.0.1:${peerPort}`;
  // prettier-ignore
  return spawn('etcd', [
    '--name', 'm1', '--data-dir', dataDir,
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `m1=${peer}`,
    '--cert-file', m1.certFile, '--key-file', m1.keyFile, '--trusted-ca-file', pki.caFile,
    '--client-cert-auth',
    '--peer-cert-file', m1.certFile, '--peer-key-file', m1.keyFile,
    '--peer-trusted-ca-file', pki.caFile, '--peer-client-cert-auth',
  ], { stdio: 'ignore' });
}

async function waitForEtcd(ctl: string[]): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await run('etcdctl', [...ctl, 'endpoint', 'health'], { env: etcdctlEnv() });
      return;
    } catch (err) {
      if (i >= 40) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
