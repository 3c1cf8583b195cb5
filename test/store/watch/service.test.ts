/**
 * The Watch service over a real grpc-js server on 127.0.0.1 and the generated WatchClient: the
 * hub runs on the system clock (driveWatchHub) over the real MvccState.
 */
import assert from 'node:assert/strict';
import {
  credentials,
  Metadata,
  ServerCredentials,
  status,
  type ClientDuplexStream,
  type Server,
  type ServiceError,
} from '@grpc/grpc-js';
import { systemClock } from '../../../src/base/clock.js';
import {
  WatchClient,
  WatchCreateRequest,
  type WatchRequest,
  type WatchResponse,
} from '../../../src/gen/etcdserverpb/rpc.js';
import { bind, newServer } from '../../../src/rpc/server.js';
import { WATCH_SERVICE, watchService } from '../../../src/store/server/watch-service.js';
import { driveWatchHub, NoLeaderCounter, type WatchHubDriver } from '../../../src/store/watch/driver.js';
import { Store } from './support.js';

type Call = ClientDuplexStream<WatchRequest, WatchResponse>;

/** Receiver queues a call's responses and its end, for awaiting them one by one. */
class Receiver {
  readonly got: WatchResponse[] = [];
  error: ServiceError | undefined;
  private waiters: (() => void)[] = [];

  constructor(readonly call: Call) {
    call.on('data', (r: WatchResponse) => this.push(() => this.got.push(r)));
    call.on('error', (e: ServiceError) => this.push(() => (this.error = e)));
  }

  private push(f: () => void): void {
    f();
    for (const w of this.waiters.splice(0)) w();
  }

  /** until waits for cond to hold, up to timeoutMs. */
  async until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  create(o: Omit<Partial<WatchCreateRequest>, 'key' | 'rangeEnd'> & { key: string; end?: string }): void {
    const { key, end, ...rest } = o;
    const value = WatchCreateRequest.fromPartial({ ...rest, key: Buffer.from(key), rangeEnd: Buffer.from(end ?? '') });
    this.call.write({ requestUnion: { $case: 'createRequest', value } });
  }
}

describe('watch service over gRPC', function () {
  this.timeout(20_000);
  let server: Server;
  let client: WatchClient;
  let store: Store;
  let driver: WatchHubDriver;
  let leader = true;
  const calls: Call[] = [];

  async function start(limits = {}): Promise<void> {
    store = new Store();
    driver = driveWatchHub(store.state, systemClock, { progressIntervalMs: 100, limits });
    store.state.onRevision = (ev) => driver.hub.publish(ev);
    server = newServer();
    server.addService(WATCH_SERVICE, watchService({
      hub: driver.hub,
      header: (revision) => ({ clusterId: 7n, memberId: 9n, revision: BigInt(revision), raftTerm: 3n }),
      hasLeader: () => leader,
    }));
    const port = await bind(server, '127.0.0.1:0', ServerCredentials.createInsecure());
    client = new WatchClient(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  function open(requireLeader = false): Receiver {
    const md = new Metadata();
    if (requireLeader) md.set('hasleader', 'true');
    const call = client.watch(md);
    calls.push(call);
    return new Receiver(call);
  }

  beforeEach(() => {
    leader = true;
  });

  afterEach(() => {
    for (const c of calls.splice(0)) c.cancel();
    client.close();
    driver.stop();
    server.forceShutdown();
  });

  it('create, events with the member\'s header, cancel', async () => {
    await start();
    store.put('a', '0');
    const r = open();
    r.create({ key: 'a', prevKv: true });
    await r.until(() => r.got.length === 1);
    const created = r.got[0];
    assert.equal(created?.created, true);
    assert.deepEqual(created?.header, { clusterId: 7n, memberId: 9n, revision: 2n, raftTerm: 3n });
    store.put('a', '1');
    await r.until(() => r.got.length === 2);
    const ev = r.got[1]?.events[0];
    assert.equal(ev?.kv?.value.toString(), '1');
    assert.equal(ev?.prevKv?.value.toString(), '0');
    r.call.write({ requestUnion: { $case: 'cancelRequest', value: { watchId: 0n } } });
    await r.until(() => r.got.length === 3);
    assert.equal(r.got[2]?.canceled, true);
  });

  it('historic start revision and a compacted one over the wire', async () => {
    await start();
    for (let i = 0; i < 5; i++) store.put('a', String(i));
    store.compact(4);
    const r = open();
    r.create({ key: 'a', startRevision: 4n });
    r.create({ key: 'a', startRevision: 2n });
    await r.until(() => r.got.some((x) => x.compactRevision > 0n) && r.got.some((x) => x.events.length > 0));
    const events = r.got.filter((x) => x.watchId === 0n).flatMap((x) => x.events);
    assert.deepEqual(events.map((e) => Number(e.kv?.modRevision)), [4, 5, 6]);
    const compacted = r.got.find((x) => x.watchId === 1n && x.canceled);
    assert.equal(compacted?.compactRevision, 4n);
  });

  it('hasleader metadata without a leader fails the call with UNAVAILABLE "etcdserver: no leader"', async () => {
    await start();
    leader = false;
    const r = open(true);
    r.create({ key: 'a' });
    await r.until(() => r.error !== undefined);
    assert.equal(r.error?.code, status.UNAVAILABLE);
    assert.equal(r.error?.details, 'etcdserver: no leader');
    assert.equal(r.got.length, 0);
    const plain = open(false);
    plain.create({ key: 'a' });
    await plain.until(() => plain.got.length === 1, 2_000);
  });

  it('an open hasleader stream ends with "no leader" once the member lost its leader', async () => {
    await start();
    const needs = open(true);
    const plain = open(false);
    needs.create({ key: 'a' });
    plain.create({ key: 'a' });
    await needs.until(() => needs.got.length === 1);
    await plain.until(() => plain.got.length === 1);
    const counter = new NoLeaderCounter();
    assert.deepEqual([counter.observe(false), counter.observe(false), counter.observe(false)], [false, false, true]);
    driver.hub.failLeaderRequired();
    await needs.until(() => needs.error !== undefined);
    assert.equal(needs.error?.code, status.UNAVAILABLE);
    assert.equal(needs.error?.details, 'etcdserver: no leader');
    store.put('a', 'still');
    await plain.until(() => plain.got.length === 2);
  });

  it('a client that stops reading costs the member a bounded queue, then receives everything in order', async () => {
    const maxPendingBytesPerStream = 64 * 1024;
    await start({ maxPendingBytesPerStream });
    const r = open();
    r.create({ key: 'k', end: 'l' });
    await r.until(() => r.got.length === 1);
    r.call.pause();
    const value = 'x'.repeat(8 * 1024);
    const revs: number[] = [];
    let maxPending = 0;
    for (let i = 0; i < 600; i++) {
      revs.push(store.put(`k${i % 10}`, value));
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      maxPending = Math.max(maxPending, driver.hub.stats().pendingBytes);
    }
    assert.ok(driver.hub.stats().parked + driver.hub.stats().unsynced > 0, 'the stalled watcher fell behind');
    assert.ok(maxPending <= maxPendingBytesPerStream + 16 * 1024, `queued ${maxPending}`);
    r.call.resume();
    const seen = (): number[] => r.got.flatMap((x) => x.events.map((e) => Number(e.kv?.modRevision)));
    await r.until(() => seen().length >= revs.length, 15_000);
    assert.deepEqual(seen(), revs);
  });

  it('progress_notify delivers empty responses on the configured interval', async () => {
    await start();
    const r = open();
    r.create({ key: 'a', progressNotify: true });
    await r.until(() => r.got.filter((x) => !x.created && x.events.length === 0).length >= 2, 3_000);
    const p = r.got.find((x) => !x.created);
    assert.equal(p?.watchId, 0n);
    assert.equal(p?.header?.revision, 1n);
  });

  it('a canceled call releases its stream', async () => {
    await start();
    const r = open();
    r.create({ key: 'a' });
    await r.until(() => r.got.length === 1);
    assert.equal(driver.hub.stats().streams, 1);
    r.call.cancel();
    const deadline = Date.now() + 3_000;
    while (driver.hub.stats().streams !== 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.equal(driver.hub.stats().streams, 0);
  });
});
