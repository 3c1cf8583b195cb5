/**
 * Access to a cluster's API: at `k8ts up` the cluster PKI (CA, each master's serving
 * certificate, the admin client certificate) and a static admin token are made or reused under
 * <state>/pki, the admin kubeconfig is written to <state>/kubeconfig and merged into the user's
 * kubeconfig as context k8ts-<cluster> (as kind does; K8TS_NO_MERGE=1 skips it). API server
 * processes find their files through apiServerFiles; up and restart probe /readyz with the admin
 * certificate.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TlsFiles } from '../rpc/credentials.js';
import type { ClusterConfig, StatePaths } from './config.js';
import {
  apiServerUrl,
  mergeIntoUserKubeconfig,
  removeFromUserKubeconfig,
  userKubeconfigPath,
  writeClusterKubeconfig,
} from './kubeconfig.js';
import { ensureClusterPki, firstServiceIp, PKI_DIR_NAME } from './pki/cluster-pki.js';

/** ApiAccess is how the supervisor reaches the API servers as the cluster admin. */
export interface ApiAccess {
  kubeconfig: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** The static token file (kube-apiserver's --token-auth-file format), beside the PKI. */
const TOKEN_FILE = 'tokens.csv';

function host(hostPort: string): string {
  return hostPort.slice(0, hostPort.lastIndexOf(':'));
}

/** prepareApiAccess makes (or reuses) PKI, token and kubeconfig; idempotent. */
export function prepareApiAccess(cfg: ClusterConfig, paths: StatePaths, env: NodeJS.ProcessEnv): ApiAccess {
  const masters = cfg.members.filter((m) => m.api !== undefined);
  const first = masters[0];
  if (!first?.api) throw new Error(`cluster ${cfg.name} has no API server`);
  const dir = join(paths.root, PKI_DIR_NAME);
  const pki = ensureClusterPki(dir, {
    masters: masters.map((m) => ({ name: m.name, ips: [host(m.api ?? '')] })),
    // Hollow node processes share one identity, system:node:hollow (node-hollow.crt).
    nodes: unique([...masters.map((m) => m.name), ...cfg.nodes.map((n) => n.name),
      ...(cfg.hollow === undefined ? [] : ['hollow'])]),
    kubelets: cfg.nodes.map((n) => ({ name: n.name, ips: [n.address] })),
    serviceIp: firstServiceIp(cfg.serviceCidr),
  });
  const tokenFile = join(dir, TOKEN_FILE);
  if (!existsSync(tokenFile)) {
    const token = randomBytes(24).toString('base64url');
    writeFileSync(tokenFile, `${token},kubernetes-admin,kubernetes-admin,"system:masters"\n`, { mode: 0o600 });
  }
  const { path, kubeconfig } = writeClusterKubeconfig(paths.root, cfg.name, apiServerUrl(first.api), pki);
  if (env.K8TS_NO_MERGE !== '1') mergeIntoUserKubeconfig(userKubeconfigPath(env), kubeconfig);
  return {
    kubeconfig: path,
    ca: readFileSync(pki.caFile),
    cert: readFileSync(pki.admin.certFile),
    key: readFileSync(pki.admin.keyFile),
  };
}

/** loadApiAccess reads existing admin credentials (no writes); undefined before the first up. */
export function loadApiAccess(paths: StatePaths): ApiAccess | undefined {
  const dir = join(paths.root, PKI_DIR_NAME);
  const files = ['ca.crt', 'admin.crt', 'admin.key'].map((f) => join(dir, f));
  if (!files.every((f) => existsSync(f))) return undefined;
  const [ca, cert, key] = files.map((f) => readFileSync(f));
  if (!ca || !cert || !key) return undefined;
  return { kubeconfig: join(paths.root, 'kubeconfig'), ca, cert, key };
}

/** forgetApiAccess removes the cluster's context from the user's kubeconfig (down --purge). */
export function forgetApiAccess(cfg: ClusterConfig, env: NodeJS.ProcessEnv): void {
  if (env.K8TS_NO_MERGE === '1') return;
  removeFromUserKubeconfig(userKubeconfigPath(env), cfg.name);
}

/** apiServerFiles: a master's serving identity, the token file, and the API server's client
 *  identity towards the kubelets (logs, exec, attach, port-forward). */
export function apiServerFiles(paths: StatePaths, member: string): { serving: TlsFiles; tokenFile: string; kubeletClient: TlsFiles } {
  const dir = join(paths.root, PKI_DIR_NAME);
  const caFile = join(dir, 'ca.crt');
  return {
    serving: {
      caFile,
      certFile: join(dir, `apiserver-${member}.crt`),
      keyFile: join(dir, `apiserver-${member}.key`),
    },
    tokenFile: join(dir, TOKEN_FILE),
    kubeletClient: {
      caFile,
      certFile: join(dir, 'apiserver-kubelet-client.crt'),
      keyFile: join(dir, 'apiserver-kubelet-client.key'),
    },
  };
}

/** probeReady: GET /readyz as the admin answers 200 within a second. */
export function probeReady(api: string, access: ApiAccess): Promise<boolean> {
  const i = api.lastIndexOf(':');
  return new Promise((resolve) => {
    const req = request({
      host: api.slice(0, i),
      port: Number(api.slice(i + 1)),
      path: '/readyz',
      ca: access.ca,
      cert: access.cert,
      key: access.key,
      timeout: 1_000,
    }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * leaseHolder reads spec.holderIdentity of Lease kube-system/<name> over HTTPS as the admin
 * (k8ts status shows which master's controller manager and scheduler lead); undefined when the
 * API does not answer within a second or nobody holds it.
 */
export async function leaseHolder(api: string, access: ApiAccess, name: string): Promise<string | undefined> {
  const lease = await adminGetJson(api, access, `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`);
  const holder = (lease as { spec?: { holderIdentity?: string } } | undefined)?.spec?.holderIdentity;
  return holder === '' ? undefined : holder;
}

/** adminGetJson GETs path from one API server as the admin and parses the JSON; undefined on
 *  any failure (not 200, no answer within timeoutMs, bad JSON): callers show "unknown". */
export function adminGetJson(api: string, access: ApiAccess, path: string, timeoutMs = 1_000): Promise<unknown> {
  const i = api.lastIndexOf(':');
  return new Promise((resolve) => {
    const req = request({
      host: api.slice(0, i),
      port: Number(api.slice(i + 1)),
      path,
      ca: access.ca,
      cert: access.cert,
      key: access.key,
      timeout: timeoutMs,
      headers: { accept: 'application/json' },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          resolve(JSON.parse(body) as unknown);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** nodeFiles: a kubelet's identities — its client certificate for the component API
 *  (CN=system:node:<node>) and its serving certificate for the kubelet API. */
export function nodeFiles(paths: StatePaths, node: string): { client: TlsFiles; serving: TlsFiles } {
  const dir = join(paths.root, PKI_DIR_NAME);
  const caFile = join(dir, 'ca.crt');
  return {
    client: { caFile, certFile: join(dir, `node-${node}.crt`), keyFile: join(dir, `node-${node}.key`) },
    serving: { caFile, certFile: join(dir, `kubelet-${node}.crt`), keyFile: join(dir, `kubelet-${node}.key`) },
  };
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/** componentTls: the client identity of a control-plane component (kube-controller-manager,
 *  kube-scheduler, kube-proxy) from the cluster PKI, for the component gRPC API. */
export function componentTls(paths: StatePaths, component: string): TlsFiles {
  const dir = join(paths.root, PKI_DIR_NAME);
  return {
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, `${component}.crt`),
    keyFile: join(dir, `${component}.key`),
  };
}
