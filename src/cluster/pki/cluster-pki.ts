/**
 * The cluster PKI, as kubeadm lays it out but in one directory that is also the store's
 * `tls: { dir }`: one CA signs the API servers' serving certificates, the client certificates of
 * the admin and of every component, and the store members' peer certificates.
 *
 * ensureClusterPki is idempotent, so `k8ts up` calls it every time: a CA is never replaced
 * (replacing it would orphan every kubeconfig handed out), and a leaf is reused while it is
 * signed by that CA, names what it must name and is not near expiry; otherwise it is reissued.
 *
 * Files in the directory (keys 0600, certificates 0644):
 *   ca.crt, ca.key                          the cluster CA (10 years)
 *   apiserver-<master>.crt/.key             serving certificate of each API server
 *   admin.crt/.key                          CN=kubernetes-admin, O=system:masters (kubeconfig)
 *   kube-scheduler, kube-controller-manager, kube-proxy .crt/.key   component clients
 *   node-<node>.crt/.key                    CN=system:node:<node>, O=system:nodes (kubelets)
 *   kubelet-<node>.crt/.key                 serving certificate of each kubelet (its IP)
 *   apiserver-kubelet-client.crt/.key       the API server's client of the kubelets (logs, exec)
 *   apiserver-etcd-client.crt/.key          the API server's client of the store
 *   client.crt/.key                         the CLI's client of the store (src/cluster)
 *   <member>.crt/.key                       store member, server and client (Raft peers)
 */
import {
  X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isIPv4, isIPv6 } from 'node:net';
import { systemWallMs } from '../../base/wall-clock.js';
import {
  createCertificate, encodeName, issuerOf, pemEncode, selfIssuer, subjectOf,
  type CertificateTemplate, type DistinguishedName, type ExtKeyUsage,
} from './certificate.js';
import { CERT_MODE, KEY_MODE, writeFileAtomic, writeFileExclusive } from './files.js';

/** PKI_DIR_NAME: the PKI's directory under a cluster's state dir. */
export const PKI_DIR_NAME = 'pki';

const DAY_MS = 24 * 3600 * 1000;
/** CA_VALIDITY_MS: kubeadm's CA lifetime, 10 years. */
export const CA_VALIDITY_MS = 3650 * DAY_MS;
/** LEAF_VALIDITY_MS: kubeadm's leaf lifetime, 1 year. */
export const LEAF_VALIDITY_MS = 365 * DAY_MS;
/** BACKDATE_MS: notBefore lies an hour in the past, so a peer whose clock runs behind ours
 *  does not reject a certificate issued a moment ago. */
export const BACKDATE_MS = 3600 * 1000;
/** RENEW_BEFORE_MS: a leaf this close to expiry is reissued at the next `up`. */
export const RENEW_BEFORE_MS = 30 * DAY_MS;

/** The API server's in-cluster names (kubeadm's apiserver SANs). */
export const APISERVER_DNS_NAMES = [
  'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
] as const;

/** PkiHost is a machine that needs a serving certificate: its name and its addresses. */
export interface PkiHost {
  name: string;
  ips: readonly string[];
}

export interface ClusterPkiOptions {
  /** Masters: each gets an API server serving certificate for its IPs. */
  masters: readonly PkiHost[];
  /** Store members (Raft peers); default: the masters. */
  members?: readonly PkiHost[];
  /** Node names that get a kubelet client certificate; default: the masters' names. */
  nodes?: readonly string[];
  /** Kubelets: each gets a serving certificate for its address (the API server checks it). */
  kubelets?: readonly PkiHost[];
  /** The `kubernetes` Service's cluster IP (firstServiceIp of the service CIDR). */
  serviceIp?: string;
  /** Wall clock (ms since the epoch) for validity; default Date.now. */
  wallMs?: () => number;
  /** Randomness for serials; default crypto.randomBytes. */
  randomBytes?: (n: number) => Buffer;
}

/** CertFiles names one identity's certificate and key. */
export interface CertFiles {
  certFile: string;
  keyFile: string;
}

/** ClusterPki is where everything landed, by role, plus which files this call wrote. */
export interface ClusterPki {
  dir: string;
  caFile: string;
  caKeyFile: string;
  apiServers: ReadonlyMap<string, CertFiles>;
  members: ReadonlyMap<string, CertFiles>;
  nodes: ReadonlyMap<string, CertFiles>;
  kubelets: ReadonlyMap<string, CertFiles>;
  kubeletClient: CertFiles;
  admin: CertFiles;
  scheduler: CertFiles;
  controllerManager: CertFiles;
  proxy: CertFiles;
  etcdClient: CertFiles;
  storeClient: CertFiles;
  /** Base names (e.g. "admin.crt") written by this call; empty when everything was reused. */
  written: string[];
}

/** CertPlan is one leaf certificate the PKI must hold. */
export interface CertPlan {
  /** Base file name without extension: <base>.crt and <base>.key. */
  base: string;
  subject: DistinguishedName;
  extKeyUsages: readonly ExtKeyUsage[];
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
}

/** PkiError is an operating error (bad input, a half-present CA): reported, never a crash. */
export class PkiError extends Error {
  override name = 'PkiError';
}

const CLIENT: readonly ExtKeyUsage[] = ['clientAuth'];

/** planClusterPki lists every leaf the options call for. Pure; it refuses names that would
 *  make two identities share files (a member called "admin" or "ca"). */
export function planClusterPki(opts: ClusterPkiOptions): CertPlan[] {
  const members = opts.members ?? opts.masters;
  const nodes = opts.nodes ?? opts.masters.map((m) => m.name);
  const client = (base: string, commonName: string, organizations?: string[]): CertPlan => ({
    base, subject: { commonName, ...(organizations ? { organizations } : {}) },
    extKeyUsages: CLIENT, dnsNames: [], ipAddresses: [],
  });
  const plans: CertPlan[] = [
    ...opts.masters.map((m) => apiServerPlan(m, opts.serviceIp)),
    client('admin', 'kubernetes-admin', ['system:masters']),
    client('kube-scheduler', 'system:kube-scheduler'),
    client('kube-controller-manager', 'system:kube-controller-manager'),
    client('kube-proxy', 'system:kube-proxy'),
    ...nodes.map((n) => client(`node-${checkName(n)}`, `system:node:${n}`, ['system:nodes'])),
    ...(opts.kubelets ?? []).map(kubeletPlan),
    client('apiserver-kubelet-client', 'kube-apiserver-kubelet-client', ['system:masters']),
    client('apiserver-etcd-client', 'kube-apiserver-etcd-client'),
    client('client', 'k8ts-store-client'),
    ...members.map(memberPlan),
  ];
  const seen = new Set<string>(['ca']);
  for (const p of plans) {
    if (seen.has(p.base)) {
      throw new PkiError(`two PKI identities would share ${p.base}.crt: rename the member or node`);
    }
    seen.add(p.base);
  }
  return plans;
}

function apiServerPlan(m: PkiHost, serviceIp: string | undefined): CertPlan {
  return {
    base: `apiserver-${checkName(m.name)}`,
    subject: { commonName: 'kube-apiserver' },
    extKeyUsages: ['serverAuth'],
    dnsNames: unique([...APISERVER_DNS_NAMES, m.name]),
    ipAddresses: unique([
      ...m.ips.map(checkIp), '127.0.0.1', ...(serviceIp ? [checkIp(serviceIp)] : []),
    ]),
  };
}

function kubeletPlan(n: PkiHost): CertPlan {
  return {
    base: `kubelet-${checkName(n.name)}`,
    subject: { commonName: n.name },
    extKeyUsages: ['serverAuth'],
    dnsNames: unique(['localhost', n.name]),
    ipAddresses: unique(n.ips.map(checkIp)),
  };
}

function memberPlan(m: PkiHost): CertPlan {
  // A member is a server to its peers and clients and a client of its peers.
  return {
    base: checkName(m.name),
    subject: { commonName: m.name },
    extKeyUsages: ['serverAuth', 'clientAuth'],
    dnsNames: unique(['localhost', m.name]),
    ipAddresses: unique([...m.ips.map(checkIp), '127.0.0.1']),
  };
}

function checkName(name: string): string {
  if (!/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/.test(name)) {
    throw new PkiError(`${JSON.stringify(name)} is not a valid name for a certificate file ` +
      '(lowercase letters, digits, "-" and ".")');
  }
  return name;
}

function checkIp(ip: string): string {
  if (!isIPv4(ip) && !isIPv6(ip)) throw new PkiError(`${JSON.stringify(ip)} is not an IP address`);
  return ip;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** firstServiceIp is the first host address of a service CIDR (127.96.0.0/16 → 127.96.0.1),
 *  which the apiserver's `kubernetes` Service takes, as in kube-apiserver. */
export function firstServiceIp(cidr: string): string {
  const [net = '', bitsText = ''] = cidr.split('/');
  const bits = Number(bitsText);
  if (!isIPv4(net) || !Number.isInteger(bits) || bits < 0 || bits > 30) {
    throw new PkiError(`${JSON.stringify(cidr)} is not an IPv4 CIDR with room for hosts`);
  }
  const n = net.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - bits);
  const first = Math.floor(n / size) * size + 1;
  return [24, 16, 8, 0].map((s) => Math.floor(first / 2 ** s) % 256).join('.');
}

/** ensureClusterPki makes dir hold a complete, current PKI for opts, writing only what is
 *  missing or stale, and returns where every identity lives. */
export function ensureClusterPki(dir: string, opts: ClusterPkiOptions): ClusterPki {
  const plans = planClusterPki(opts);
  const nowMs = (opts.wallMs ?? systemWallMs)();
  const random = opts.randomBytes ?? randomBytes;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  const ca = ensureCa(dir, nowMs, random, written);
  checkCaLifetime(ca, join(dir, 'ca.crt'), nowMs);
  for (const plan of plans) {
    const files = filesOf(dir, plan.base);
    if (leafIsCurrent(files, plan, ca.cert, nowMs)) continue;
    const key = newKey();
    const t = template(plan, key.publicKey, nowMs, random);
    t.notAfterMs = Math.min(t.notAfterMs, Date.parse(ca.cert.validTo));
    const der = createCertificate(t, issuerOf(ca.cert.raw), ca.key);
    writeIdentity(files, der, key.privateKey, written);
  }
  return layout(dir, opts, written);
}

interface LoadedCa {
  cert: X509Certificate;
  key: KeyObject;
}

function ensureCa(
  dir: string, nowMs: number, random: (n: number) => Buffer, written: string[],
): LoadedCa {
  const files = filesOf(dir, 'ca');
  const hasCert = existsSync(files.certFile);
  const hasKey = existsSync(files.keyFile);
  if (hasCert && hasKey) return loadCa(files);
  if (hasCert || hasKey) {
    const [present, missing] = hasCert
      ? [files.certFile, files.keyFile]
      : [files.keyFile, files.certFile];
    throw new PkiError(`${present} exists but ${missing} does not: refusing to replace the ` +
      `cluster CA. Restore ${missing}, or delete ${present} to start a new CA (every ` +
      'certificate and kubeconfig of this cluster is then reissued)');
  }
  const key = newKey();
  const t = template({
    base: 'ca', subject: { commonName: 'k8ts-ca' }, extKeyUsages: [], dnsNames: [], ipAddresses: [],
  }, key.publicKey, nowMs, random);
  t.isCa = true;
  t.notAfterMs = Math.floor((nowMs + CA_VALIDITY_MS) / 1000) * 1000;
  const der = createCertificate(t, selfIssuer(t), key.privateKey);
  try {
    writeIdentity(files, der, key.privateKey, written, writeFileExclusive);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw new PkiError(`${dir}: another process created a cluster CA at the same time; ` +
      'run the command again to use it');
  }
  return { cert: new X509Certificate(der), key: key.privateKey };
}

function loadCa(files: CertFiles): LoadedCa {
  try {
    const cert = new X509Certificate(readFileSync(files.certFile));
    const key = createPrivateKey(readFileSync(files.keyFile));
    if (!cert.ca) throw new Error('not a CA certificate (basicConstraints CA:FALSE)');
    if (!cert.checkPrivateKey(key)) throw new Error(`${files.keyFile} is not its key`);
    if (key.asymmetricKeyType !== 'ec') throw new Error('only EC (P-256) CA keys are supported');
    return { cert, key };
  } catch (err) {
    throw new PkiError(`${files.certFile}: cannot use the cluster CA: ${(err as Error).message}`);
  }
}

/** checkCaLifetime: a leaf cannot outlive its CA (leaves are cut at the CA's notAfter), so a
 *  CA with less than a day left cannot sign anything useful; replacing it is the user's call. */
function checkCaLifetime(ca: LoadedCa, caFile: string, nowMs: number): void {
  if (Date.parse(ca.cert.validTo) - DAY_MS <= nowMs) {
    throw new PkiError(`${caFile}: the cluster CA expires ${ca.cert.validTo}; delete ca.crt and ` +
      'ca.key to start a new CA (every certificate and kubeconfig of the cluster is reissued)');
  }
}

function newKey(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function template(
  plan: CertPlan, publicKey: KeyObject, nowMs: number, random: (n: number) => Buffer,
): CertificateTemplate {
  const serial = Buffer.from(random(16));
  // Positive (top bit clear) and never zero, as RFC 5280 and Go's parser demand.
  serial[0] = ((serial[0] ?? 0) & 0x7f) || 1;
  return {
    serial,
    subject: plan.subject,
    // Whole seconds: the certificate cannot say more, and the reuse check compares them.
    notBeforeMs: Math.floor((nowMs - BACKDATE_MS) / 1000) * 1000,
    notAfterMs: Math.floor((nowMs + LEAF_VALIDITY_MS) / 1000) * 1000,
    publicKeySpki: publicKey.export({ type: 'spki', format: 'der' }),
    isCa: false,
    extKeyUsages: plan.extKeyUsages,
    dnsNames: plan.dnsNames,
    ipAddresses: plan.ipAddresses,
  };
}

const EKU_OID: Record<ExtKeyUsage, string> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** leafIsCurrent: the files exist, parse, match each other, are signed by this CA, name what
 *  the plan names and stay valid for RENEW_BEFORE_MS. Anything else means reissue. */
function leafIsCurrent(
  files: CertFiles, plan: CertPlan, ca: X509Certificate, nowMs: number,
): boolean {
  if (!existsSync(files.certFile) || !existsSync(files.keyFile)) return false;
  try {
    const cert = new X509Certificate(readFileSync(files.certFile));
    const key = createPrivateKey(readFileSync(files.keyFile));
    const usages = cert.keyUsage ?? [];
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && cert.checkPrivateKey(key) &&
      Date.parse(cert.validFrom) <= nowMs && Date.parse(cert.validTo) - RENEW_BEFORE_MS > nowMs &&
      subjectOf(cert.raw).equals(encodeName(plan.subject)) &&
      plan.extKeyUsages.every((u) => usages.includes(EKU_OID[u])) &&
      plan.ipAddresses.every((ip) => cert.checkIP(ip) !== undefined) &&
      plan.dnsNames.every((d) => cert.checkHost(d, { subject: 'never', wildcards: false }) === d);
  } catch {
    return false; // unreadable or corrupt: a leaf is cheap to reissue
  }
}

/** writeIdentity writes the key before the certificate: a crash in between leaves a key
 *  without a certificate, which the next run reissues, never a certificate without its key. */
function writeIdentity(
  files: CertFiles, certDer: Buffer, key: KeyObject, written: string[], write = writeFileAtomic,
): void {
  const keyPem = key.export({ type: 'sec1', format: 'pem' });
  write(files.keyFile, keyPem, KEY_MODE);
  write(files.certFile, pemEncode('CERTIFICATE', certDer), CERT_MODE);
  written.push(basename(files.keyFile), basename(files.certFile));
}

function filesOf(dir: string, base: string): CertFiles {
  return { certFile: join(dir, `${base}.crt`), keyFile: join(dir, `${base}.key`) };
}

function layout(dir: string, opts: ClusterPkiOptions, written: string[]): ClusterPki {
  const byName = (names: readonly string[], base: (n: string) => string): Map<string, CertFiles> =>
    new Map(names.map((n) => [n, filesOf(dir, base(n))]));
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    caKeyFile: join(dir, 'ca.key'),
    apiServers: byName(opts.masters.map((m) => m.name), (n) => `apiserver-${n}`),
    members: byName((opts.members ?? opts.masters).map((m) => m.name), (n) => n),
    nodes: byName(opts.nodes ?? opts.masters.map((m) => m.name), (n) => `node-${n}`),
    kubelets: byName((opts.kubelets ?? []).map((k) => k.name), (n) => `kubelet-${n}`),
    kubeletClient: filesOf(dir, 'apiserver-kubelet-client'),
    admin: filesOf(dir, 'admin'),
    scheduler: filesOf(dir, 'kube-scheduler'),
    controllerManager: filesOf(dir, 'kube-controller-manager'),
    proxy: filesOf(dir, 'kube-proxy'),
    etcdClient: filesOf(dir, 'apiserver-etcd-client'),
    storeClient: filesOf(dir, 'client'),
    written,
  };
}
