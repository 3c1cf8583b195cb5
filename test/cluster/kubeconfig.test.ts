/**
 * kubeconfig: the cluster's own file and the kind-style merge into the user's kubeconfig, which
 * must keep everyone else's entries, replace only ours, be idempotent, honour $KUBECONFIG, and
 * leave a file it cannot parse exactly as it was. The merged file is read back by the real
 * kubectl, so "valid" means what Go's clientcmd thinks.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import {
  KubeconfigError, apiServerUrl, buildKubeconfig, kubeconfigYaml, mergeIntoUserKubeconfig,
  mergeKubeconfigText, removeFromUserKubeconfig, userKubeconfigPath, writeClusterKubeconfig,
  type Kubeconfig,
} from '../../src/cluster/kubeconfig.js';
import { ensureClusterPki } from '../../src/cluster/pki/cluster-pki.js';
import { tempHome } from '../support/cluster.js';

const run = promisify(execFile);
const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
const LONG_PEM = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(400)}\n-----END CERTIFICATE-----\n`;
const creds = { caPem: LONG_PEM, certPem: LONG_PEM, keyPem: 'key' };

/** A user's kubeconfig with someone else's cluster, a comment, and extra fields we don't know. */
const FOREIGN = `# my clusters
apiVersion: v1
kind: Config
clusters:
- name: prod # keep me
  cluster:
    server: https://prod.example:6443
    insecure-skip-tls-verify: true
users:
- name: alice
  user:
    token: s3cret
contexts:
- name: prod
  context:
    cluster: prod
    user: alice
    namespace: web
current-context: prod
preferences: {}
`;

describe('kubeconfig', () => {
  const home = tempHome('k8ts-kubeconfig-');
  after(() => home.remove());
  const ours = (server = 'https://127.0.1.1:6443'): Kubeconfig =>
    buildKubeconfig('demo', server, creds);

  it('names cluster and context k8ts-<cluster> and the user k8ts-<cluster>-admin', () => {
    const k = ours();
    assert.equal(k.clusters[0]?.name, 'k8ts-demo');
    assert.equal(k.users[0]?.name, 'k8ts-demo-admin');
    assert.deepEqual(k.contexts[0],
      { name: 'k8ts-demo', context: { cluster: 'k8ts-demo', user: 'k8ts-demo-admin' } });
    assert.equal(k['current-context'], 'k8ts-demo');
  });

  it('never folds the long base64 data (a folded scalar would read back with spaces)', () => {
    const text = kubeconfigYaml(ours());
    const data = parse(text).clusters[0].cluster['certificate-authority-data'] as string;
    assert.equal(Buffer.from(data, 'base64').toString(), LONG_PEM);
    assert.ok(text.split('\n').some((l) => l.length > 400));
  });

  it('builds server URLs, bracketing IPv6', () => {
    assert.equal(apiServerUrl('127.0.1.1:6443'), 'https://127.0.1.1:6443');
    assert.equal(apiServerUrl('::1:6443'), 'https://[::1]:6443');
    assert.throws(() => apiServerUrl('nohost'), KubeconfigError);
  });

  it('finds the user kubeconfig as kubectl: first $KUBECONFIG entry, else ~/.kube/config', () => {
    assert.equal(userKubeconfigPath({ KUBECONFIG: '/a/one:/b/two', HOME: '/h' }), '/a/one');
    assert.equal(userKubeconfigPath({ KUBECONFIG: ':/b/two' }), '/b/two');
    assert.equal(userKubeconfigPath({ KUBECONFIG: '', HOME: '/h' }), '/h/.kube/config');
  });

  it('merges into a foreign kubeconfig keeping every foreign entry, comment and field', () => {
    const merged = mergeKubeconfigText(FOREIGN, ours(), 'cfg');
    const doc = parse(merged);
    assert.deepEqual(doc.clusters.map((c: { name: string }) => c.name), ['prod', 'k8ts-demo']);
    assert.deepEqual(doc.users.map((c: { name: string }) => c.name), ['alice', 'k8ts-demo-admin']);
    assert.equal(doc.users[0].user.token, 's3cret');
    assert.equal(doc.contexts[0].context.namespace, 'web');
    assert.equal(doc['current-context'], 'k8ts-demo');
    assert.match(merged, /^# my clusters\n/);
    assert.match(merged, /- name: prod # keep me\n/);
  });

  it('replaces our entries in place and is idempotent', () => {
    const once = mergeKubeconfigText(FOREIGN, ours(), 'cfg');
    assert.equal(mergeKubeconfigText(once, ours(), 'cfg'), once);
    const moved = parse(mergeKubeconfigText(once, ours('https://127.0.1.2:7443'), 'cfg'));
    assert.equal(moved.clusters.length, 2);
    assert.equal(moved.clusters[1].cluster.server, 'https://127.0.1.2:7443');
  });

  it('creates ~/.kube/config 0600 when there is none, and keeps an existing file\'s mode', () => {
    const path = join(home.dir, 'h1', '.kube', 'config');
    mergeIntoUserKubeconfig(path, ours());
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(parse(readFileSync(path, 'utf8')), parse(kubeconfigYaml(ours())));
    chmodSync(path, 0o640);
    mergeIntoUserKubeconfig(path, ours('https://127.0.1.3:6443'));
    assert.equal(statSync(path).mode & 0o777, 0o640);
  });

  it('writes through a symlinked kubeconfig instead of replacing the link', () => {
    const real = join(home.dir, 'dotfiles-config');
    writeFileSync(real, FOREIGN);
    const link = join(home.dir, 'link-config');
    symlinkSync(real, link);
    mergeIntoUserKubeconfig(link, ours());
    assert.equal(parse(readFileSync(real, 'utf8'))['current-context'], 'k8ts-demo');
    assert.equal(readFileSync(link, 'utf8'), readFileSync(real, 'utf8'));
  });

  for (const [what, text, where] of [
    ['broken YAML', 'apiVersion: v1\nclusters:\n- name: a\n  cluster: [\n', /:5\b|:4\b/],
    ['clusters that is not a list', 'apiVersion: v1\nkind: Config\nclusters: oops\n',
      /:3: .*clusters is not a list/],
    ['a top level that is not a mapping', '- a\n- b\n', /:1: .*not a mapping/],
  ] as const) {
    it(`refuses ${what}: the error names file and line, the file is untouched`, () => {
      const path = join(home.dir, `bad-${what.replace(/\W+/g, '-')}`);
      writeFileSync(path, text);
      assert.throws(() => mergeIntoUserKubeconfig(path, ours()), (e: unknown) =>
        e instanceof KubeconfigError && e.message.startsWith(path) && where.test(e.message) &&
        e.message.includes('left unchanged'));
      assert.equal(readFileSync(path, 'utf8'), text);
      assert.throws(() => removeFromUserKubeconfig(path, 'demo'), KubeconfigError);
      assert.equal(readFileSync(path, 'utf8'), text);
    });
  }

  it('removes only our entries and unsets current-context if it was ours', () => {
    const path = join(home.dir, 'remove-config');
    writeFileSync(path, FOREIGN);
    mergeIntoUserKubeconfig(path, ours());
    assert.equal(removeFromUserKubeconfig(path, 'demo'), true);
    const doc = parse(readFileSync(path, 'utf8'));
    assert.deepEqual(doc.clusters.map((c: { name: string }) => c.name), ['prod']);
    assert.deepEqual(doc.users.map((c: { name: string }) => c.name), ['alice']);
    assert.equal(doc['current-context'], undefined);
    assert.equal(removeFromUserKubeconfig(path, 'demo'), false);
    assert.equal(removeFromUserKubeconfig(join(home.dir, 'absent'), 'demo'), false);
    assert.equal(existsSync(join(home.dir, 'absent')), false);
  });

  it('removing keeps a foreign current-context', () => {
    const path = join(home.dir, 'keep-current');
    writeFileSync(path, FOREIGN);
    mergeIntoUserKubeconfig(path, ours());
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('current-context: k8ts-demo', 'current-context: prod'));
    removeFromUserKubeconfig(path, 'demo');
    assert.equal(parse(readFileSync(path, 'utf8'))['current-context'], 'prod');
  });

  it('writes <state>/kubeconfig 0600; kubectl reads a merge via $KUBECONFIG', async function () {
    const state = join(home.dir, 'state');
    const masters = [{ name: 'm1', ips: ['127.0.1.1'] }];
    const pki = ensureClusterPki(join(state, 'pki'), { masters });
    const server = 'https://127.0.1.1:6443';
    const { path, kubeconfig } = writeClusterKubeconfig(state, 'demo', server, pki);
    assert.equal(path, join(state, 'kubeconfig'));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const user = parse(readFileSync(path, 'utf8')).users[0].user;
    const keyPem = Buffer.from(user['client-key-data'], 'base64').toString();
    assert.equal(keyPem, readFileSync(pki.admin.keyFile, 'utf8'));
    if (!existsSync(KUBECTL)) this.skip();
    const kubeHome = join(home.dir, 'kubectl-home');
    mkdirSync(join(kubeHome, '.kube'), { recursive: true });
    const merged = join(kubeHome, 'merged');
    writeFileSync(merged, FOREIGN);
    const target = userKubeconfigPath({ KUBECONFIG: `${merged}:/nonexistent` });
    assert.equal(target, merged);
    mergeIntoUserKubeconfig(target, kubeconfig);
    // `config view --raw --minify` resolves the current context: Go parsed our entries.
    const env = { PATH: process.env.PATH ?? '', HOME: kubeHome, KUBECONFIG: merged };
    const viewArgs = ['config', 'view', '--raw', '--minify', '-o', 'json'];
    const { stdout } = await run(KUBECTL, viewArgs, { env });
    const view = JSON.parse(stdout);
    assert.equal(view['current-context'], 'k8ts-demo');
    assert.equal(view.clusters[0].cluster.server, 'https://127.0.1.1:6443');
    const { stdout: names } = await run(KUBECTL, ['config', 'get-contexts', '-o', 'name'], { env });
    assert.deepEqual(names.trim().split('\n').sort(), ['k8ts-demo', 'prod']);
  });
});
