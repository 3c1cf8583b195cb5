/**
 * kubeconfig for a k8ts cluster, handled the way kind handles it: a self-contained file in the
 * cluster's state dir (`<state>/kubeconfig`, certificates embedded as *-data so it can be copied
 * anywhere), and the same cluster, user and context merged into the user's kubeconfig under
 * fixed names (cluster and context `k8ts-<cluster>`, user `k8ts-<cluster>-admin`) so that
 * `kubectl` works at once and `k8ts down --purge` can take exactly those entries out again.
 *
 * The user's file is edited through the yaml Document API: entries of other clusters keep their
 * order, formatting and comments. A file that does not parse is never rewritten (it may hold
 * credentials we cannot reproduce); the error names the file and line. Writes are atomic.
 * Merging and removing are pure functions over text; the file functions wrap them.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import {
  Document, LineCounter, isMap, isSeq, parseDocument, stringify, type Node as YamlNode,
} from 'yaml';
import type { CertFiles } from './pki/cluster-pki.js';
import { KEY_MODE, writeFileAtomic } from './pki/files.js';

/** KubeconfigError: the user's kubeconfig cannot be read or merged; it was left untouched. */
export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

/** Kubeconfig is the subset of clientcmd's v1 Config that k8ts writes. */
export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  'current-context': string;
  preferences: Record<string, never>;
}

/** KubeconfigNames are the entry names one k8ts cluster owns in any kubeconfig. */
export interface KubeconfigNames {
  cluster: string;
  user: string;
  context: string;
}

/** kubeconfigNames: cluster and context `k8ts-<cluster>`, user `k8ts-<cluster>-admin`. */
export function kubeconfigNames(cluster: string): KubeconfigNames {
  return { cluster: `k8ts-${cluster}`, user: `k8ts-${cluster}-admin`, context: `k8ts-${cluster}` };
}

/** apiServerUrl turns a config's host:port into kubectl's server URL (IPv6 in brackets). */
export function apiServerUrl(hostPort: string): string {
  const m = /^(.*):(\d+)$/.exec(hostPort);
  if (!m?.[1] || !m[2]) throw new KubeconfigError(`${hostPort}: expected host:port`);
  const host = m[1].includes(':') && !m[1].startsWith('[') ? `[${m[1]}]` : m[1];
  return `https://${host}:${m[2]}`;
}

/** AdminCredentials: PEM texts of the CA and of the admin's certificate and key. */
export interface AdminCredentials {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** buildKubeconfig is the admin kubeconfig of one cluster. Pure. */
export function buildKubeconfig(
  cluster: string, server: string, creds: AdminCredentials,
): Kubeconfig {
  const names = kubeconfigNames(cluster);
  const b64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{
      name: names.cluster,
      cluster: { server, 'certificate-authority-data': b64(creds.caPem) },
    }],
    users: [{
      name: names.user,
      user: { 'client-certificate-data': b64(creds.certPem), 'client-key-data': b64(creds.keyPem) },
    }],
    contexts: [{ name: names.context, context: { cluster: names.cluster, user: names.user } }],
    'current-context': names.context,
    preferences: {},
  };
}

// lineWidth 0: never fold. A folded plain scalar reads back with spaces inside the base64.
// indentSeq false: list items flush with their key, as kubectl writes kubeconfigs.
const YAML_OUT = { lineWidth: 0, indentSeq: false } as const;

/** kubeconfigYaml renders a kubeconfig as kubectl writes them. */
export function kubeconfigYaml(k: Kubeconfig): string {
  return stringify(k, YAML_OUT);
}

/** writeClusterKubeconfig writes `<stateDir>/kubeconfig` (0600: it holds the admin key) from the
 *  PKI's files and returns its path and contents. */
export function writeClusterKubeconfig(
  stateDir: string, cluster: string, server: string, pki: { caFile: string; admin: CertFiles },
): { path: string; kubeconfig: Kubeconfig } {
  const read = (p: string): string => readFileSync(p, 'utf8');
  const kubeconfig = buildKubeconfig(cluster, server, {
    caPem: read(pki.caFile), certPem: read(pki.admin.certFile), keyPem: read(pki.admin.keyFile),
  });
  const path = join(stateDir, 'kubeconfig');
  mkdirSync(stateDir, { recursive: true });
  writeFileAtomic(path, kubeconfigYaml(kubeconfig), KEY_MODE);
  return { path, kubeconfig };
}

/** userKubeconfigPath is the file kubectl writes to: the first entry of $KUBECONFIG, else
 *  ~/.kube/config (kind's and clientcmd's rule). */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((p) => p !== '');
  if (first !== undefined) return first;
  return join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir(), '.kube', 'config');
}

const LISTS = ['clusters', 'users', 'contexts'] as const;

/** mergeKubeconfigText puts our entries into existing kubeconfig text (undefined or empty: a
 *  new file): same-named entries are replaced in place, others kept, current-context set. */
export function mergeKubeconfigText(
  existing: string | undefined, ours: Kubeconfig, source: string,
): string {
  const doc = parseUserKubeconfig(existing ?? '', source);
  if (doc.contents === null) return kubeconfigYaml(ours);
  if (!doc.has('apiVersion')) doc.set('apiVersion', 'v1');
  if (!doc.has('kind')) doc.set('kind', 'Config');
  for (const list of LISTS) {
    for (const entry of ours[list]) upsert(doc, list, entry.name, entry);
  }
  doc.set('current-context', ours['current-context']);
  return doc.toString(YAML_OUT);
}

/** removeFromKubeconfigText takes one cluster's entries out; current-context is unset if it
 *  was ours. Returns undefined when there is nothing to remove (no write needed). */
export function removeFromKubeconfigText(
  existing: string, cluster: string, source: string,
): string | undefined {
  const doc = parseUserKubeconfig(existing, source);
  if (doc.contents === null) return undefined;
  const names = kubeconfigNames(cluster);
  const owned = { clusters: names.cluster, users: names.user, contexts: names.context } as const;
  let changed = false;
  for (const list of LISTS) {
    const seq = doc.get(list);
    if (!isSeq(seq)) continue;
    const before = seq.items.length;
    seq.items = seq.items.filter((item) => nameOf(item) !== owned[list]);
    changed ||= seq.items.length !== before;
  }
  if (doc.get('current-context') === names.context) {
    doc.delete('current-context');
    changed = true;
  }
  return changed ? doc.toString(YAML_OUT) : undefined;
}

function upsert(doc: Document, list: (typeof LISTS)[number], name: string, entry: object): void {
  const node = doc.createNode(entry);
  const seq = doc.get(list);
  if (!isSeq(seq)) {
    doc.set(list, doc.createNode([entry]));
    return;
  }
  seq.flow = false; // `clusters: []` would otherwise hold our entry on one unreadable line
  const at = seq.items.findIndex((item) => nameOf(item) === name);
  if (at >= 0) seq.items[at] = node;
  else seq.items.push(node);
}

function nameOf(item: unknown): unknown {
  return isMap(item) ? item.get('name') : undefined;
}

/** parseUserKubeconfig parses and checks the shape we edit, failing with file:line. */
function parseUserKubeconfig(text: string, source: string): Document {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const fail = (line: number | undefined, what: string): never => {
    throw new KubeconfigError(`${source}${line === undefined ? '' : `:${line}`}: ${what}; ` +
      'the file was left unchanged (fix it, or point KUBECONFIG elsewhere)');
  };
  const [error] = doc.errors;
  if (error) {
    const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    fail(error.linePos?.[0].line, `not valid YAML: ${message}`);
  }
  if (doc.contents === null) return doc;
  const lineOf = (n: unknown): number | undefined => {
    const start = (n as YamlNode | null)?.range?.[0];
    return start === undefined ? undefined : lineCounter.linePos(start).line;
  };
  if (!isMap(doc.contents)) {
    fail(lineOf(doc.contents), 'not a kubeconfig (the top level is not a mapping)');
  }
  for (const list of LISTS) {
    const seq = doc.get(list, true);
    if (seq === undefined || (seq as { value?: unknown }).value === null) continue;
    if (!isSeq(seq)) fail(lineOf(seq), `not a kubeconfig (${list} is not a list)`);
    for (const item of (seq as { items: unknown[] }).items) {
      if (!isMap(item)) {
        fail(lineOf(item), `not a kubeconfig (an entry of ${list} is not a mapping)`);
      }
    }
  }
  return doc;
}

/** mergeIntoUserKubeconfig merges our entries into the kubeconfig at path (create it 0600 if
 *  missing, keep its mode otherwise) and makes our context current. */
export function mergeIntoUserKubeconfig(path: string, ours: Kubeconfig): void {
  const target = resolveTarget(path);
  const existing = existsSync(target) ? readUserFile(target) : undefined;
  const text = mergeKubeconfigText(existing, ours, target);
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  writeFileAtomic(target, text, modeOf(target));
}

/** removeFromUserKubeconfig takes one cluster's entries out of the kubeconfig at path; a
 *  missing file or one without our entries is left alone. Returns whether it wrote. */
export function removeFromUserKubeconfig(path: string, cluster: string): boolean {
  const target = resolveTarget(path);
  if (!existsSync(target)) return false;
  const text = removeFromKubeconfigText(readUserFile(target), cluster, target);
  if (text === undefined) return false;
  writeFileAtomic(target, text, modeOf(target));
  return true;
}

/** resolveTarget follows a symlinked kubeconfig (dotfile managers), so the rename replaces the
 *  real file and not the link. */
function resolveTarget(path: string): string {
  return existsSync(path) ? realpathSync(path) : path;
}

function readUserFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new KubeconfigError(`${path}: cannot read kubeconfig: ${(err as Error).message}`);
  }
}

function modeOf(path: string): number {
  return existsSync(path) ? statSync(path).mode & 0o777 : KEY_MODE;
}
