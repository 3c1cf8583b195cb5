/**
 * storageSuite: the API server's storage layer (EtcdStorage, its watch caches, the compactor)
 * against any store that speaks etcd's v3 API — a 3-member k8ts store (k8ts.test.ts) and real
 * etcd (etcd.test.ts) — through the same client. Each test works in its own namespace under
 * /registry/pods/ with its own EtcdStorage (so its own caches and settings). Compaction tests
 * run last: they drop history every earlier test could still read.
 */
import type { KubeObject } from '../../../src/api/meta.js';
import { systemClock } from '../../../src/base/clock.js';
import { EtcdClient } from '../../../src/store/client/index.js';
import { Compactor } from '../../../src/apiserver/storage/compactor.js';
import {
  EtcdStorage,
  type CacheSettings,
  type EtcdStorageOptions,
} from '../../../src/apiserver/storage/etcd-storage.js';
import type { StorageWatchEvent } from '../../../src/apiserver/storage/types.js';
import { compactionTests } from './suite-compaction.js';
import { fenceTests } from './suite-fence.js';
import { listTests } from './suite-list.js';
import { uncachedTests } from './suite-uncached.js';
import { watchTests } from './suite-watch.js';
import { writeTests } from './suite-write.js';

/** StoreUnderTest is a running store: its client endpoints and how to stop it. */
export interface StoreUnderTest {
  endpoints: string[];
  stop(): Promise<void>;
  /** Cache settings this store needs in every test (etcd < 3.4.25: no trusted progress). */
  cache?: CacheSettings;
}

/** SuiteContext is what the test files share; valid inside tests. */
export interface SuiteContext {
  client(): EtcdClient;
  /** storage makes an EtcdStorage for this test (closed after it); `extra` options over it. */
  storage(cache?: CacheSettings, extra?: Partial<EtcdStorageOptions>): EtcdStorage;
  compactor(intervalMs?: number): Compactor;
  /** ns is this test's namespace; key(name) its object key; prefix() its list prefix. */
  ns(): string;
  key(name: string): string;
  prefix(): string;
}

export function storageSuite(name: string, start: () => Promise<StoreUnderTest>): void {
  describe(`apiserver storage: ${name}`, function () {
    this.timeout(10_000);
    let store: StoreUnderTest | undefined;
    let client: EtcdClient | undefined;
    let testNo = 0;
    let open: EtcdStorage[] = [];
    const ctx: SuiteContext = {
      client: () => must(client, 'client'),
      storage: (cache, extra) => {
        const merged = { ...store?.cache, ...cache };
        const o = { client: ctx.client(), clock: systemClock, ...extra, cache: merged };
        const s = new EtcdStorage(o);
        open.push(s);
        return s;
      },
      compactor: (intervalMs = 60_000) =>
        new Compactor({ client: ctx.client(), clock: systemClock, intervalMs }),
      ns: () => `t${testNo}`,
      key: (n) => `/registry/pods/${ctx.ns()}/${n}`,
      prefix: () => `/registry/pods/${ctx.ns()}/`,
    };

    before(async function () {
      this.timeout(60_000);
      store = await start();
      client = new EtcdClient({ endpoints: store.endpoints, requestTimeoutMs: 5_000 });
    });
    beforeEach(() => void testNo++);
    afterEach(() => {
      for (const s of open) s.close();
      open = [];
    });
    after(async function () {
      this.timeout(30_000);
      client?.close();
      await store?.stop();
    });

    writeTests(ctx);
    fenceTests(ctx);
    listTests(ctx);
    watchTests(ctx);
    uncachedTests(ctx);
    compactionTests(ctx);
  });
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`suite: no ${what} (did before() fail?)`);
  return v;
}

/** pod builds a minimal object for key `name` in namespace ns. */
export function pod(
  ns: string,
  name: string,
  labels: Record<string, string> = {},
  n = 0,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, labels },
    spec: { n },
  };
}

export { rejection } from '../../support/status.js';

/** Events collects a storage watch. */
export class Events {
  readonly events: StorageWatchEvent[] = [];
  error: Error | undefined;
  /** onEvent's answer: false pauses delivery (flow control). */
  accept = true;
  readonly onEvent = (e: StorageWatchEvent): boolean => {
    this.events.push(e);
    return this.accept;
  };
  readonly onError = (err: Error): void => {
    this.error = err;
  };

  summary(): string[] {
    return this.events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`);
  }

  /** until waits until at least n events arrived (or throws the watch's error). */
  async until(n: number, timeoutMs = 5_000): Promise<StorageWatchEvent[]> {
    await waitUntil(`${n} events (have ${this.summary().join(', ')})`, () => {
      if (this.error) throw this.error;
      return this.events.length >= n;
    }, timeoutMs);
    return this.events;
  }

  async untilError(timeoutMs = 5_000): Promise<Error> {
    return waitUntil('a watch error', () => this.error, timeoutMs);
  }
}

/** waitUntil polls cond every 10 ms until it returns a value other than undefined/false. */
export async function waitUntil<T>(
  what: string,
  cond: () => T | undefined | false,
  timeoutMs = 5_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = cond();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** rvOf reads an object's resourceVersion as a number. */
export function rvOf(o: KubeObject): number {
  return Number(o.metadata.resourceVersion);
}
