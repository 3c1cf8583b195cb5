/**
 * The event recorder over an API double: the Event's fields, aggregation of repeats into
 * count/lastTimestamp patches, separate Events for different messages or objects, retries of
 * transport failures, no retry of the API's refusals, the bounded queue, and event() never
 * throwing or waiting. Over an API with CreateBatch: queued creates leave together, each settled
 * alone; a failed call is retried with the same Events; a server without it gets single creates.
 * While a component's busy signal says busy, its process's Events are held (a bounded time).
 */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { alreadyExists, badRequest, StatusError } from '../../../src/api/errors.js';
import type { Event } from '../../../src/api/core/v1/event.js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { ComponentApi } from '../../../src/client/component-api.js';
import {
  EVENT_LIMITS,
  eventRecorderFactory,
  holdDelayMs,
  rfc3339Seconds,
} from '../../../src/client/events/recorder.js';
import { RpcError } from '../../../src/rpc/errors.js';
import { SimClock } from '../../../src/sim/clock.js';

const WALL0 = Date.UTC(2026, 4, 6, 7, 8, 9, 250);

const POD: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', resourceVersion: '42' },
};

/** FakeEventsApi records creates and patches; fail() scripts the next failures. */
class FakeEventsApi {
  readonly calls: string[] = [];
  readonly created: Event[] = [];
  failures: Error[] = [];
  readonly api: ComponentApi = {
    create: <T extends KubeObject>(_r: unknown, ns: string | undefined, obj: T) => {
      const f = this.failures.shift();
      if (f !== undefined) return Promise.reject(f);
      this.calls.push(`create ${ns ?? ''}/${obj.metadata.name ?? ''}`);
      // The store's answer to a name it has (two sinks sharing this fake).
      if (this.created.some((e) => e.metadata.name === obj.metadata.name)) {
        return Promise.reject(alreadyExists({ group: '', resource: 'events' },
          obj.metadata.name ?? ''));
      }
      this.created.push(obj as unknown as Event);
      return Promise.resolve(obj);
    },
    patch: <T extends KubeObject>(_r: unknown, ns: string | undefined, name: string,
      _t: unknown, body: string | object) => {
      this.calls.push(`patch ${ns ?? ''}/${name} ${JSON.stringify(body)}`);
      return Promise.resolve({ metadata: { name } } as T);
    },
    get: () => Promise.reject(new Error('no')),
    list: () => Promise.reject(new Error('no')),
    watch: () => {
      throw new Error('no');
    },
    update: () => Promise.reject(new Error('no')),
    delete: () => Promise.reject(new Error('no')),
    bind: () => Promise.reject(new Error('no')),
  };
}

/** One scripted answer of the batch fake: per-create errors by index, or the whole call's. */
interface BatchScript {
  /** The call fails as a whole after storing the first `stored` creates. */
  fail?: Error;
  stored?: number;
  /** Creates answered with an error instead of being stored, by index. */
  refuse?: Map<number, Error>;
}

/** FakeBatchApi: FakeEventsApi with CreateBatch; the store refuses a name it already has. */
class FakeBatchApi extends FakeEventsApi {
  scripts: BatchScript[] = [];
  readonly batched: ComponentApi = {
    ...this.api,
    createBatch: (items) => {
      const sc = this.scripts.shift() ?? {};
      this.calls.push(`batch ${items.length}`);
      const out = items.map((c, i): KubeObject | Error => {
        const refusal = sc.refuse?.get(i);
        if (refusal !== undefined) return refusal;
        if (sc.fail !== undefined && i >= (sc.stored ?? 0)) return sc.fail;
        const name = c.obj.metadata.name ?? '';
        if (this.created.some((e) => e.metadata.name === name)) {
          return alreadyExists({ group: '', resource: 'events' }, name);
        }
        this.created.push(c.obj as unknown as Event);
        return c.obj;
      });
      return sc.fail !== undefined ? Promise.reject(sc.fail) : Promise.resolve(out);
    },
  };
}

function setup(): { fake: FakeEventsApi; clock: SimClock; logs: string[];
  events: ReturnType<typeof eventRecorderFactory>; wall: { ms: number } } {
  const fake = new FakeEventsApi();
  const clock = new SimClock();
  const logs: string[] = [];
  const wall = { ms: WALL0 };
  const events = eventRecorderFactory(fake.api, { clock, wallMs: () => wall.ms, host: 'm1',
    log: (l) => logs.push(l), random: () => 0.5 });
  return { fake, clock, logs, events, wall };
}

describe('event recorder', () => {
  it('writes a core/v1 Event about the object, named "<name>.<16 hex ns>"', async () => {
    const { fake, events } = setup();
    events('replicaset-controller').event(POD, 'Normal', 'Created', 'made it');
    await events.flush();
    assert.equal(fake.created.length, 1);
    const ev = fake.created[0]!;
    const ns = (BigInt(WALL0) * 1_000_000n + 500_000n).toString(16); // random() 0.5: 500,000 ns
    assert.equal(ns.length, 16);
    assert.deepEqual(ev, {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: `web-1.${ns}`, namespace: 'shop' },
      involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'u-1',
        apiVersion: 'v1', resourceVersion: '42' },
      reason: 'Created', message: 'made it', type: 'Normal',
      source: { component: 'replicaset-controller', host: 'm1' },
      firstTimestamp: '2026-05-06T07:08:09Z', lastTimestamp: '2026-05-06T07:08:09Z',
      count: 1, reportingComponent: 'replicaset-controller', reportingInstance: 'm1',
    });
  });

  it('Events of two processes about one object in the same ms get different names: both stored',
    async () => {
      // The scheduler's Scheduled and a kubelet's Pulled for one pod, same wall ms: with names
      // of whole ms both were web-1.<ms × 10^6>, and the second create's AlreadyExists was taken
      // for its own lost answer — the Event was gone without a log line.
      const fake = new FakeEventsApi();
      const clock = new SimClock();
      const logs: string[] = [];
      const sink = (host: string, r: number): ReturnType<typeof eventRecorderFactory> =>
        eventRecorderFactory(fake.api, { clock, wallMs: () => WALL0, host,
          log: (l) => logs.push(l), random: () => r });
      const scheduler = sink('m1', 0.25);
      const kubelet = sink('w1', 0.75);
      scheduler('default-scheduler').event(POD, 'Normal', 'Scheduled', 'assigned shop/web-1');
      kubelet('kubelet').event(POD, 'Normal', 'Pulled', 'already present');
      await Promise.all([scheduler.flush(), kubelet.flush()]);
      assert.deepEqual(logs, []);
      assert.deepEqual(fake.created.map((e) => e.reason).sort(), ['Pulled', 'Scheduled']);
      const ms = BigInt(WALL0) * 1_000_000n;
      assert.deepEqual(fake.created.map((e) => e.metadata.name).sort(),
        [`web-1.${(ms + 250_000n).toString(16)}`, `web-1.${(ms + 750_000n).toString(16)}`]);
    });

  it('names stay strictly increasing within a process whatever the sub-ms draw', async () => {
    const fake = new FakeEventsApi();
    const draws = [0.9, 0.1, 0.9999999];
    const events = eventRecorderFactory(fake.api, { clock: new SimClock(), wallMs: () => WALL0,
      host: 'm1', log: () => {}, random: () => draws.shift() ?? 0 });
    for (const reason of ['A', 'B', 'C']) events('c').event(POD, 'Normal', reason, 'x');
    await events.flush();
    const ns = fake.created.map((e) => BigInt(`0x${e.metadata.name?.split('.')[1] ?? ''}`));
    const ms = BigInt(WALL0) * 1_000_000n;
    assert.deepEqual(ns, [ms + 900_000n, ms + 900_001n, ms + 999_999n]);
  });

  it('cluster-scoped objects get their Events in "default"', async () => {
    const { fake, events } = setup();
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u-n' } };
    events('node-controller').event(node, 'Warning', 'NodeNotReady', 'gone');
    await events.flush();
    assert.equal(fake.created[0]?.metadata.namespace, 'default');
    assert.equal(fake.created[0]?.involvedObject.namespace, undefined);
  });

  it('a repeat within 10 minutes patches count and lastTimestamp; others are new Events',
    async () => {
      const { fake, events, clock, wall } = setup();
      const r = events('c');
      r.event(POD, 'Warning', 'Failed', 'boom');
      r.event(POD, 'Warning', 'Failed', 'boom');
      wall.ms += 61_000;
      clock.advanceTo(61_000);
      r.event(POD, 'Warning', 'Failed', 'boom');
      r.event(POD, 'Warning', 'Failed', 'other message');
      r.event({ ...POD, metadata: { ...POD.metadata, uid: 'u-2' } }, 'Warning', 'Failed', 'boom');
      await events.flush();
      const name = fake.created[0]?.metadata.name ?? '';
      assert.deepEqual(fake.calls.map((c) => c.split(' ')[0]),
        ['create', 'patch', 'patch', 'create', 'create']);
      assert.equal(fake.calls[1], `patch shop/${name} {"count":2,` +
        `"lastTimestamp":"${rfc3339Seconds(WALL0)}"}`);
      assert.equal(fake.calls[2], `patch shop/${name} {"count":3,` +
        `"lastTimestamp":"${rfc3339Seconds(WALL0 + 61_000)}"}`);
      clock.advanceTo(61_000 + EVENT_LIMITS.aggregateWindowMs);
      r.event(POD, 'Warning', 'Failed', 'boom');
      await events.flush();
      assert.equal(fake.calls.at(-1)?.split(' ')[0], 'create', 'after the window: a new Event');
    });

  it('retries transport failures, drops API refusals, never throws into the caller',
    async () => {
      const { fake, events, clock, logs } = setup();
      fake.failures = [new Error('unavailable'), new Error('unavailable')];
      events('c').event(POD, 'Normal', 'A', 'retried');
      for (let i = 0; i < 10 && fake.created.length === 0; i++) {
        await new Promise((r) => setImmediate(r));
        clock.step();
      }
      assert.equal(fake.created.length, 1, 'third attempt succeeds');
      fake.failures = [badRequest('invalid')];
      events('c').event(POD, 'Normal', 'B', 'refused');
      await events.flush();
      assert.equal(fake.created.length, 1);
      assert.ok(logs.some((l) => /dropped after 1 attempt\(s\): Normal B on shop\/web-1/.test(l)));
    });

  it('drops events beyond the queue bound (logged once, then counted), and after stop',
    async () => {
      const { fake, events, logs, clock } = setup();
      const r = events('c');
      for (let i = 0; i < EVENT_LIMITS.queueMax + 10; i++) r.event(POD, 'Normal', 'R', `m${i}`);
      await flushStepping(events, clock);
      // One was taken off the queue at once by the writer, so queueMax + 1 made it.
      assert.equal(fake.created.length, EVENT_LIMITS.queueMax + 1);
      const full = logs.filter((l) => l.startsWith('event queue full'));
      assert.equal(full.length, 2, full.join('\n'));
      assert.match(full[0] ?? '', /dropped Normal R on shop\/web-1; further drops are counted/);
      assert.match(full[1] ?? '', /dropped 8 more events \(9 since start\)/);
      assert.equal(events.dropped(), 9);
      await events.stop();
      r.event(POD, 'Normal', 'late', 'x');
      await events.flush();
      assert.equal(fake.created.length, EVENT_LIMITS.queueMax + 1);
    });

  it('paces writes: a burst at once, then qps per second of the clock', async () => {
    const { fake, events, clock } = setup();
    const r = events('c');
    const n = EVENT_LIMITS.burst + EVENT_LIMITS.qps;
    for (let i = 0; i < n; i++) r.event(POD, 'Normal', 'R', `m${i}`);
    for (let i = 0; i < 100; i++) await new Promise((res) => setImmediate(res));
    assert.equal(fake.created.length, EVENT_LIMITS.burst, 'the burst, then a wait for a token');
    const t0 = clock.nowMs();
    await flushStepping(events, clock);
    assert.equal(fake.created.length, n);
    assert.ok(Math.abs(clock.nowMs() - t0 - 1000) <= 1000 / EVENT_LIMITS.qps,
      `${EVENT_LIMITS.qps} more took ${clock.nowMs() - t0} ms`);
  });

  it('stop() writes what is queued without pacing', async () => {
    const { fake, events } = setup();
    const r = events('c');
    const n = EVENT_LIMITS.burst * 2;
    for (let i = 0; i < n; i++) r.event(POD, 'Normal', 'R', `m${i}`);
    await events.stop(); // the SimClock never moves: a paced write would never happen
    assert.equal(fake.created.length, n);
  });
});

describe('event recorder over CreateBatch', () => {
  function batchSetup(): { fake: FakeBatchApi; clock: SimClock; logs: string[];
    events: ReturnType<typeof eventRecorderFactory> } {
    const fake = new FakeBatchApi();
    const clock = new SimClock();
    const logs: string[] = [];
    const events = eventRecorderFactory(fake.batched, { clock, wallMs: () => WALL0, host: 'm1',
      log: (l) => logs.push(l) });
    return { fake, clock, logs, events };
  }

  it('sends what queued while the first lingered in one call; a refused Event is dropped alone',
    async () => {
      const { fake, events, logs, clock } = batchSetup();
      const r = events('kubelet');
      r.event(POD, 'Normal', 'Scheduled', 'x'); // waits lingerMs for company
      for (const reason of ['Pulled', 'Created', 'Refused', 'Started']) {
        r.event(POD, 'Normal', reason, 'x');
      }
      r.event(POD, 'Normal', 'Pulled', 'x'); // a repeat: patched, after the batch it repeats
      fake.scripts = [{ refuse: new Map([[3, badRequest('invalid')]]) }];
      await flushStepping(events, clock);
      assert.equal(clock.nowMs(), EVENT_LIMITS.lingerMs,
        'the repeat, queued with the batch, has waited its linger already');
      r.event(POD, 'Normal', 'Killing', 'x'); // alone after the wait: a plain create
      await flushStepping(events, clock);
      assert.deepEqual(fake.calls.map((c) => c.split(' ')[0]), ['batch', 'patch', 'create']);
      assert.equal(fake.calls[0], 'batch 5');
      assert.match(fake.calls[1] ?? '', new RegExp(`^patch shop/${fake.created[1]?.metadata.name}`));
      assert.deepEqual(fake.created.map((e) => e.reason),
        ['Scheduled', 'Pulled', 'Created', 'Started', 'Killing']);
      assert.deepEqual(fake.created.map((e) => [e.count, e.source, e.involvedObject.uid]),
        Array(5).fill([1, { component: 'kubelet', host: 'm1' }, 'u-1']));
      assert.deepEqual(logs.filter((l) => l.includes('dropped')).length, 1);
      assert.match(logs[0] ?? '', /dropped after 1 attempt\(s\): Normal Refused on shop\/web-1/);
    });

  it('retries a failed call with the same Events: one it did store counts as written',
    async () => {
      const { fake, events, clock, logs } = batchSetup();
      const r = events('kubelet');
      r.event(POD, 'Normal', 'First', 'x');
      for (let i = 0; i < 4; i++) r.event(POD, 'Normal', `R${i}`, 'x');
      // The first call stores First and R0, then fails: all five are sent again.
      fake.scripts = [{ fail: new Error('unavailable'), stored: 2 }];
      await flushStepping(events, clock);
      assert.deepEqual(fake.calls, ['batch 5', 'batch 5']);
      assert.deepEqual(fake.created.map((e) => e.reason), ['First', 'R0', 'R1', 'R2', 'R3']);
      assert.deepEqual(logs, []);
      r.event(POD, 'Normal', 'R0', 'x');
      await flushStepping(events, clock);
      assert.equal(fake.calls.at(-1), `patch shop/${fake.created[1]?.metadata.name ?? ''} ` +
        `{"count":2,"lastTimestamp":"${rfc3339Seconds(WALL0)}"}`);
    });

  it('sends again an Event the API was too busy for (429), not the others', async () => {
    const { fake, events, clock, logs } = batchSetup();
    const r = events('kubelet');
    for (const reason of ['Pulled', 'Created', 'Started']) r.event(POD, 'Normal', reason, 'x');
    const busy = new StatusError(429, 'TooManyRequests', 'the server has received too many requests');
    fake.scripts = [{ refuse: new Map([[1, busy]]) }];
    await flushStepping(events, clock);
    assert.deepEqual(fake.calls, ['batch 3', 'batch 1']);
    assert.deepEqual(fake.created.map((e) => e.reason), ['Pulled', 'Started', 'Created']);
    assert.deepEqual(logs, []);
  });

  it('AlreadyExists is this Event stored by a call whose answer was lost: written', async () => {
    const { fake, events, clock, logs } = batchSetup();
    const r = events('kubelet');
    r.event(POD, 'Normal', 'Pulled', 'x');
    r.event(POD, 'Normal', 'Created', 'x');
    fake.scripts = [{ refuse: new Map([[0, alreadyExists({ group: '', resource: 'events' },
      'web-1.x')]]) }];
    await flushStepping(events, clock);
    r.event(POD, 'Normal', 'Pulled', 'x'); // a repeat: patches the Event the lost answer made
    await flushStepping(events, clock);
    assert.deepEqual(logs, []);
    assert.deepEqual(fake.calls.map((c) => c.split(' ')[0]), ['batch', 'patch']);
    assert.match(fake.calls[1] ?? '', /^patch shop\/web-1\.[0-9a-f]{16} \{"count":2/);
  });

  it('the same for a single create', async () => {
    const { fake, events, logs } = setup();
    fake.failures = [alreadyExists({ group: '', resource: 'events' }, 'web-1.x')];
    events('c').event(POD, 'Normal', 'A', 'lost answer');
    await events.flush();
    events('c').event(POD, 'Normal', 'A', 'lost answer');
    await events.flush();
    assert.deepEqual(logs, []);
    assert.deepEqual(fake.calls.map((c) => c.split(' ')[0]), ['patch']);
  });

  it('gives up on Events after attemptsMax calls the API was too busy for, and logs each',
    async () => {
    const { fake, events, clock, logs } = batchSetup();
    const r = events('c');
    for (let i = 0; i < 3; i++) r.event(POD, 'Normal', `R${i}`, 'x');
    fake.scripts = Array.from({ length: EVENT_LIMITS.attemptsMax },
      () => ({ fail: new StatusError(429, 'TooManyRequests', 'busy') }));
    await flushStepping(events, clock);
    assert.equal(fake.calls.filter((c) => c.startsWith('batch')).length, EVENT_LIMITS.attemptsMax);
    assert.equal(logs.filter((l) => l.startsWith(`event dropped after ${EVENT_LIMITS.attemptsMax}`))
      .length, 3);
  });

  it('while no API server can be reached, Events wait for one (up to unreachableMaxMs)',
    async () => {
      // A kubelet starts before the API servers it runs as static pods: its first Events found
      // nobody for seconds and were dropped after attemptsMax tries 100 ms apart.
      const { fake, events, clock, logs } = batchSetup();
      const send = fake.batched.createBatch!;
      const upAtMs = 30_000;
      const calls: number[] = [];
      const api: ComponentApi = { ...fake.batched, createBatch: (items, o) => {
        calls.push(clock.nowMs());
        return clock.nowMs() < upAtMs
          ? Promise.reject(new RpcError(status.UNAVAILABLE, 'no API server answered'))
          : send(items, o);
      } };
      const late = eventRecorderFactory(api, { clock, wallMs: () => WALL0, host: 'm1',
        log: (l) => logs.push(l) });
      late('kubelet').event(POD, 'Normal', 'Pulling', 'x');
      late('kubelet').event(POD, 'Normal', 'Pulled', 'x');
      await flushStepping(late, clock);
      assert.deepEqual(logs, []);
      assert.deepEqual(fake.created.map((e) => e.reason), ['Pulling', 'Pulled']);
      assert.ok(calls.length > EVENT_LIMITS.attemptsMax && calls.length < 20, `${calls.length}`);
      const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
      assert.ok(gaps.every((g) => g <= EVENT_LIMITS.unreachableDelayMaxMs), gaps.join(','));
      // Never reached: dropped (and logged) once unreachableMaxMs has passed.
      const downLogs: string[] = [];
      const down = eventRecorderFactory({ ...fake.api, create: () =>
        Promise.reject(new RpcError(status.UNAVAILABLE, 'no API server answered')) },
      { clock, wallMs: () => WALL0, host: 'm1', log: (l) => downLogs.push(l) });
      const t0 = clock.nowMs();
      down('kubelet').event(POD, 'Normal', 'Started', 'x');
      await flushStepping(down, clock);
      assert.ok(clock.nowMs() - t0 <= EVENT_LIMITS.unreachableMaxMs);
      assert.ok(clock.nowMs() - t0 > EVENT_LIMITS.unreachableMaxMs -
        EVENT_LIMITS.unreachableDelayMaxMs);
      assert.equal(downLogs.length, 1);
      assert.match(downLogs[0]!, /^event dropped after \d+ attempt\(s\): Normal Started/);
      await events.stop();
    });

  it('a stopping sink gives up on an unreachable API after attemptsMax', async () => {
    const fake = new FakeEventsApi();
    const clock = new SimClock();
    const logs: string[] = [];
    let tries = 0;
    const events = eventRecorderFactory({ ...fake.api, create: () => {
      tries++;
      return Promise.reject(new RpcError(status.UNAVAILABLE, 'no API server answered'));
    } }, { clock, wallMs: () => WALL0, host: 'm1', log: (l) => logs.push(l) });
    events('kubelet').event(POD, 'Normal', 'Killing', 'x');
    const stopped = events.stop();
    for (let i = 0; i < 50 && tries < EVENT_LIMITS.attemptsMax + 1; i++) {
      await new Promise((res) => setImmediate(res));
      clock.step();
    }
    await stopped;
    assert.equal(tries, EVENT_LIMITS.attemptsMax);
    assert.equal(logs.length, 1);
  });

  it('a server without CreateBatch gets single creates from then on', async () => {
    const { fake, events, clock } = batchSetup();
    const r = events('c');
    for (let i = 0; i < 3; i++) r.event(POD, 'Normal', `R${i}`, 'x');
    fake.scripts = [{ fail: new RpcError(status.UNIMPLEMENTED, 'no CreateBatch') }];
    await flushStepping(events, clock);
    const t = clock.nowMs();
    for (let i = 3; i < 6; i++) r.event(POD, 'Normal', `R${i}`, 'x');
    await events.flush(); // the simulated clock stands still: no batch, no linger
    assert.equal(clock.nowMs(), t);
    assert.deepEqual(fake.calls.map((c) => c.split(' ')[0]),
      ['batch', 'create', 'create', 'create', 'create', 'create', 'create']);
    assert.equal(fake.created.length, 6);
  });
});

describe('event recorder yielding to busy components', () => {
  const H = EVENT_LIMITS.holdMaxMs;
  const P = EVENT_LIMITS.holdPollMs;

  it('holdDelayMs: hold while busy, in polls, never past holdMaxMs nor once stopping', () => {
    const at = (nowMs: number, busy = true, stopping = false): number =>
      holdDelayMs({ nowMs, oldestQueuedMs: 1_000, busy, stopping });
    assert.equal(at(1_000, false), 0, 'idle: send now');
    assert.equal(at(1_000), P, 'busy: look again after a poll');
    assert.equal(at(1_000 + H - 10), 10, 'the last poll ends at holdMaxMs');
    assert.equal(at(1_000 + H), 0, 'waited holdMaxMs: send even while busy');
    assert.equal(at(1_000 + H + 5_000), 0);
    assert.equal(at(1_000, true, true), 0, 'stopping: send now');
  });

  function holdSetup(): { fake: FakeBatchApi; clock: SimClock; wall: { ms: number };
    events: ReturnType<typeof eventRecorderFactory>; busy: { n: number } } {
    const fake = new FakeBatchApi();
    const clock = new SimClock();
    const wall = { ms: WALL0 };
    const events = eventRecorderFactory(fake.batched, { clock, wallMs: () => wall.ms,
      host: 'w1', log: () => undefined });
    const busy = { n: 1 };
    events('kubelet').yieldTo?.(() => busy.n > 0);
    return { fake, clock, wall, events, busy };
  }

  it('holds Events while busy and sends them in one call soon after the component is idle',
    async () => {
      const { fake, clock, wall, events, busy } = holdSetup();
      const r = events('kubelet');
      for (const reason of ['Pulled', 'Created', 'Started']) r.event(POD, 'Normal', reason, 'x');
      await stepUntil(clock, () => clock.nowMs() >= 500);
      assert.deepEqual(fake.calls, [], 'nothing written while busy');
      wall.ms += 60_000; // sent a minute of wall time later: the Events keep their own time
      busy.n = 0;
      const idleAtMs = clock.nowMs();
      await flushStepping(events, clock);
      assert.deepEqual(fake.calls, ['batch 3'], 'no linger: they waited already');
      assert.ok(clock.nowMs() - idleAtMs <= P, `sent ${clock.nowMs() - idleAtMs} ms after idle`);
      assert.deepEqual(fake.created.map((e) => e.firstTimestamp),
        Array(3).fill(rfc3339Seconds(WALL0)));
    });

  it('a component busy for long holds each Event holdMaxMs at most', async () => {
    const { fake, clock, events } = holdSetup(); // busy forever
    const r = events('kubelet');
    r.event(POD, 'Normal', 'Pulled', 'x');
    await stepUntil(clock, () => clock.nowMs() >= H / 2);
    r.event(POD, 'Normal', 'Created', 'x'); // joins the held one: both go at holdMaxMs
    await stepUntil(clock, () => fake.calls.length > 0);
    assert.equal(clock.nowMs(), H);
    assert.deepEqual(fake.calls, ['batch 2']);
    r.event(POD, 'Normal', 'Started', 'x');
    const t0 = clock.nowMs();
    await flushStepping(events, clock);
    assert.equal(clock.nowMs() - t0, H, 'the next one waits its own holdMaxMs');
    assert.deepEqual(fake.created.map((e) => e.reason), ['Pulled', 'Created', 'Started']);
  });

  it('a held queue longer than the burst leaves in a few paced calls, not one per token',
    async () => {
      const { fake, clock, events, busy } = holdSetup();
      const r = events('kubelet');
      const n = EVENT_LIMITS.burst + EVENT_LIMITS.qps; // 1 s of pace beyond the burst
      for (let i = 0; i < n; i++) r.event(POD, 'Normal', 'R', `m${i}`);
      await stepUntil(clock, () => clock.nowMs() >= 500);
      busy.n = 0;
      const t0 = clock.nowMs();
      await flushStepping(events, clock);
      assert.equal(fake.created.length, n);
      const sizes = fake.calls.map((c) => Number(c.split(' ')[1]));
      assert.deepEqual(sizes.slice(0, 2), [EVENT_LIMITS.batchMax, EVENT_LIMITS.batchMax]);
      // The qps beyond the burst take a second of pace, in calls of ~qps * pacedLingerMs.
      const perCall = EVENT_LIMITS.qps * EVENT_LIMITS.pacedLingerMs / 1000;
      assert.ok(sizes.length <= 3 + Math.ceil(EVENT_LIMITS.qps / perCall), sizes.join(','));
      assert.ok(clock.nowMs() - t0 <= 1000 + EVENT_LIMITS.pacedLingerMs,
        `${clock.nowMs() - t0} ms`);
    });

  it('stop() ends a hold within a poll; an unregistered signal holds nothing', async () => {
    const { fake, clock, events } = holdSetup();
    events('kubelet').event(POD, 'Normal', 'Pulled', 'x');
    await stepUntil(clock, () => clock.nowMs() >= P * 2);
    let stopped = false;
    const t0 = clock.nowMs();
    void events.stop().then(() => (stopped = true));
    await stepUntil(clock, () => stopped);
    assert.ok(clock.nowMs() - t0 <= P, `stopped ${clock.nowMs() - t0} ms later`);
    assert.deepEqual(fake.created.map((e) => e.reason), ['Pulled']);

    const other = holdSetup();
    other.events('c').yieldTo?.(() => false); // another signal, idle: the first still holds
    const unyield = other.events.yieldTo(() => true);
    other.events('c').event(POD, 'Normal', 'A', 'x');
    await stepUntil(other.clock, () => other.clock.nowMs() >= P * 4);
    assert.deepEqual(other.fake.calls, []);
    other.busy.n = 0;
    unyield();
    await flushStepping(other.events, other.clock);
    assert.ok(other.clock.nowMs() < P * 6, `${other.clock.nowMs()}`);
    assert.deepEqual(other.fake.created.map((e) => e.reason), ['A']);
  });
});

/** stepUntil steps the simulated clock (letting promises settle between steps) until done(). */
async function stepUntil(clock: SimClock, done: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !done(); i++) {
    await new Promise((res) => setImmediate(res));
    if (!done()) clock.step();
  }
  assert.ok(done(), 'stepUntil: never done');
}

/** flushStepping flushes while stepping the simulated clock (paced writes wait on it). */
async function flushStepping(events: ReturnType<typeof eventRecorderFactory>, clock: SimClock):
  Promise<void> {
  let done = false;
  const flushed = events.flush().then(() => {
    done = true;
  });
  while (!done) {
    await new Promise((res) => setImmediate(res));
    clock.step();
  }
  await flushed;
}
