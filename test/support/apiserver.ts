/**
 * In-process API clusters for tests: a 3-member k8ts store (or real etcd) with one or more
 * ApiServers on 127.0.0.1 ephemeral ports, and a runner for the REAL kubectl binaries with a
 * throwaway HOME, kubeconfig and discovery cache (kubectl caches discovery per host:port for 6 h,
 * reference/kubectl-wire.md §2.5). kubectl runs as a child process asynchronously: the servers
 * live in this process, so blocking on the child would deadlock.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/base/clock.js';
import { systemWallMs } from '../../src/base/wall-clock.js';
import { ApiServer } from '../../src/apiserver/server.js';
import { ApiClient } from '../../src/client/api-client.js';
import { startStoreCluster, type StoreCluster } from './store.js';

export const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ApiCluster {
  store: StoreCluster;
  servers: (ApiServer | undefined)[];
  /** Base URLs of the API servers, e.g. http://127.0.0.1:40123. */
  urls: string[];
  /** host:port of each API server's component gRPC face (insecure), in server order. */
  grpcEndpoints: string[];
  dir: string;
  /** kubectl runs the real kubectl (default build 1.32) against server i (default 0). */
  kubectl(args: string[], o?: { version?: string; server?: number; stdin?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<KubectlResult>;
  stopServer(i: number): Promise<void>;
  stop(): Promise<void>;
}

/** startApiCluster starts a store and `servers` insecure API servers (plain HTTP, no auth). */
export async function startApiCluster(o: { servers?: number } = {}): Promise<ApiCluster> {
  const store = await startStoreCluster(3);
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-api-'));
  const servers: (ApiServer | undefined)[] = [];
  const urls: string[] = [];
  const grpcEndpoints: string[] = [];
  for (let i = 0; i < (o.servers ?? 1); i++) {
    const s = new ApiServer({
      etcd: { endpoints: store.endpoints },
      listen: '127.0.0.1:0',
      grpcListen: '127.0.0.1:0',
      clock: systemClock,
      wallMs: systemWallMs,
      seed: 1000 + i,
      log: () => {},
    });
    const { port, grpcPort } = await s.start();
    servers.push(s);
    urls.push(`http://127.0.0.1:${port}`);
    grpcEndpoints.push(`127.0.0.1:${grpcPort ?? 0}`);
  }
  const kubeconfigs = urls.map((url, i) => {
    const path = join(dir, `kubeconfig-${i}`);
    writeFileSync(path, [
      'apiVersion: v1', 'kind: Config', 'current-context: t',
      'clusters: [{name: t, cluster: {server: "' + url + '"}}]',
      'users: [{name: t, user: {}}]',
      'contexts: [{name: t, context: {cluster: t, user: t}}]', '',
    ].join('\n'));
    return path;
  });
  return {
    store,
    servers,
    urls,
    grpcEndpoints,
    dir,
    kubectl: (args, ko = {}) => runKubectl(dir, kubeconfigs[ko.server ?? 0] ?? '', args, ko),
    stopServer: async (i) => {
      const s = servers[i];
      servers[i] = undefined;
      await s?.stop();
    },
    stop: async () => {
      await Promise.all(servers.map((s) => s?.stop()));
      await store.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** ApiFixture: a started API cluster and a component client on it, for one describe block. */
export interface ApiFixture {
  readonly cluster: ApiCluster;
  readonly api: ApiClient;
}

/**
 * useApiCluster registers before/after hooks (call it inside describe) that start an API
 * cluster of `servers` insecure API servers and a component API client on them, and stop both.
 * Read the fixture's fields in tests and hooks, not at describe time (they exist once before ran).
 */
export function useApiCluster(o: { servers?: number } = {}): ApiFixture {
  let cluster: ApiCluster | undefined;
  let api: ApiClient | undefined;
  before(async function () {
    this.timeout(60_000);
    cluster = await startApiCluster({ servers: o.servers ?? 1 });
    api = new ApiClient({ endpoints: cluster.grpcEndpoints });
  });
  after(async () => {
    api?.close();
    await cluster?.stop();
  });
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`useApiCluster: ${what} read before the before hook ran`);
    return v;
  };
  return {
    get cluster() { return need(cluster, 'cluster'); },
    get api() { return need(api, 'api'); },
  };
}

/** runKubectl runs one kubectl command with its own HOME and cache dir. */
export function runKubectl(
  dir: string,
  kubeconfig: string,
  args: string[],
  o: { version?: string; stdin?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<KubectlResult> {
  const bin = join(KUBECTL_DIR, `kubectl.${o.version ?? '1.32'}`);
  const full = ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, `cache-${o.version ?? '1.32'}`), ...args];
  return new Promise((resolve) => {
    const child = execFile(bin, full, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECTL_EXTERNAL_DIFF: '', ...o.env },
      timeout: o.timeoutMs ?? 30_000,
      maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (o.stdin !== undefined) child.stdin?.end(o.stdin);
    else child.stdin?.end();
  });
}
