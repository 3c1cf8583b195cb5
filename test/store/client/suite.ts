/**
 * storeConformanceSuite: the observable etcd v3 semantics k8ts relies on (reference/etcd-api.md
 * §1–§3), checked through k8ts's own client against any store that speaks etcd's v3 gRPC API —
 * real etcd (etcd.test.ts) and the k8ts store (k8ts.test.ts). Tests assume only documented
 * semantics: no cluster or member ids, no lease minimum TTL, no timing beyond "a 2 s lease".
 *
 * `start` must return a fresh store (revision 1). Tests share it and run in order; each works
 * under its own key prefix and compacts only revisions it wrote. Groups:
 * - 'semantics': KV, txn, watch, lease, limits (any member count);
 * - 'cluster': member list, status and hashKV agreement, and failover while members die; needs
 *   ≥ 3 endpoints plus kill(i)/restart(i), where i indexes `endpoints`.
 */
import { EtcdClient, type EtcdClientOptions } from '../../../src/store/client/index.js';
import { clusterTests } from './suite-cluster.js';
import { kvTests } from './suite-kv.js';
import { leaseTests } from './suite-lease.js';
import { watchTests } from './suite-watch.js';

/** StoreUnderTest is a running store: its client endpoints and its controls. */
export interface StoreUnderTest {
  endpoints: string[];
  stop(): Promise<void>;
  /** kill(i) stops member i abruptly (SIGKILL or equivalent). */
  kill?(i: number): Promise<void>;
  /** restart(i) starts a killed member again and resolves once it serves. */
  restart?(i: number): Promise<void>;
}

export type SuiteGroup = 'semantics' | 'cluster';

export interface SuiteOptions {
  /** Which groups to run (default: both; 'cluster' is skipped for fewer than 3 endpoints). */
  groups?: SuiteGroup[];
  /** Client options for the suite's clients (endpoints are filled in). */
  client?: Partial<EtcdClientOptions>;
}

/** SuiteContext is what the test groups share; valid inside tests and hooks. */
export interface SuiteContext {
  store(): StoreUnderTest;
  /** The suite's client (all endpoints, in order). */
  client(): EtcdClient;
  /** newClient makes another client (closed after the suite). */
  newClient(endpoints?: string[], extra?: Partial<EtcdClientOptions>): EtcdClient;
  /** key returns a key under the current test's own prefix. */
  key(name: string): string;
  /** prefix is the current test's own prefix (ends with "/"). */
  prefix(): string;
}

export function storeConformanceSuite(name: string, start: () => Promise<StoreUnderTest>, options: SuiteOptions = {}): void {
  const groups = options.groups ?? ['semantics', 'cluster'];
  describe(`store conformance: ${name}`, function () {
    this.timeout(20_000);
    let store: StoreUnderTest | undefined;
    let client: EtcdClient | undefined;
    const clients: EtcdClient[] = [];
    let testNo = 0;
    const ctx: SuiteContext = {
      store: () => must(store, 'store'),
      client: () => must(client, 'client'),
      newClient: (endpoints, extra) => {
        const c = new EtcdClient({ requestTimeoutMs: 5_000, ...options.client, ...extra, endpoints: endpoints ?? ctx.store().endpoints });
        clients.push(c);
        return c;
      },
      key: (k) => `${ctx.prefix()}${k}`,
      prefix: () => `/conformance/t${testNo}/`,
    };

    before(async function () {
      this.timeout(60_000);
      store = await start();
      client = ctx.newClient();
    });
    beforeEach(() => void testNo++);
    after(async function () {
      this.timeout(30_000);
      for (const c of clients) c.close();
      await store?.stop();
    });

    if (groups.includes('semantics')) {
      kvTests(ctx);
      watchTests(ctx);
      leaseTests(ctx);
    }
    if (groups.includes('cluster')) clusterTests(ctx);
  });
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`suite: no ${what} (did before() fail?)`);
  return v;
}
