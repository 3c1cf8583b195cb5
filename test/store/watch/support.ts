/**
 * Test harness for the watch hub: the real MvccState fed real StoreRequests, a hub over it with
 * a manual scheduler and clock, and client-side views of streams.
 */
import { assert } from '../../../src/base/assert.js';
import {
  WatchCreateRequest,
  type RequestOp,
  type WatchResponse,
} from '../../../src/gen/etcdserverpb/rpc.js';
import type { StoreRequest, TraceContext } from '../../../src/gen/k8ts/store/v1/store.js';
import { MvccState } from '../../../src/store/apply/state.js';
import { WatchHub, type WatchStream } from '../../../src/store/watch/hub.js';
import type { WatchLimits } from '../../../src/store/watch/limits.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Store applies StoreRequests to a real MvccState with increasing log indexes. */
export class Store {
  readonly state = new MvccState();
  private index = 0;

  apply(req: StoreRequest): void {
    const out = this.state.apply(++this.index, req);
    if ('error' in out) throw out.error;
  }

  put(key: string, value: string, trace?: TraceContext): number {
    this.apply({ trace, op: { $case: 'put', value: putReq(key, value) } });
    return this.state.revision();
  }

  del(key: string, rangeEnd = ''): number {
    this.apply({ op: { $case: 'deleteRange', value: { key: b(key), rangeEnd: b(rangeEnd), prevKv: false } } });
    return this.state.revision();
  }

  /** txn runs the ops unconditionally (no compares) in one revision. */
  txn(ops: ({ put: [string, string] } | { del: string })[], trace?: TraceContext): number {
    const success: RequestOp[] = ops.map((o) =>
      'put' in o
        ? { request: { $case: 'requestPut', value: putReq(o.put[0], o.put[1]) } }
        : { request: { $case: 'requestDeleteRange', value: { key: b(o.del), rangeEnd: b(''), prevKv: false } } },
    );
    this.apply({ trace, op: { $case: 'txn', value: { compare: [], success, failure: [] } } });
    return this.state.revision();
  }

  /** restore installs a snapshot taken at log index `index`, as a lagging follower does. */
  restore(image: Buffer, index: number): void {
    this.state.restore(image, index);
    this.index = index;
  }

  compact(rev: number): void {
    this.apply({ op: { $case: 'compaction', value: { revision: BigInt(rev), physical: false } } });
  }
}

function putReq(key: string, value: string) {
  return { key: b(key), value: b(value), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
}

/** Harness is a hub over a Store with a manual scheduler and clock. */
export class Harness {
  readonly store = new Store();
  readonly hub: WatchHub;
  nowMs = 0;
  private runs: (() => void)[] = [];

  constructor(o: { limits?: Partial<WatchLimits>; progressIntervalMs?: number } = {}) {
    this.hub = new WatchHub(this.store.state, {
      nowMs: () => this.nowMs,
      schedule: (run) => this.runs.push(run),
      progressIntervalMs: o.progressIntervalMs,
      limits: o.limits,
    });
    this.store.state.onRevision = (ev) => this.hub.publish(ev);
  }

  /** pendingRuns is how many scheduled runs wait. */
  get pendingRuns(): number {
    return this.runs.length;
  }

  /** runOnce runs the scheduled runs queued now; returns how many ran. */
  runOnce(): number {
    const now = this.runs;
    this.runs = [];
    for (const r of now) r();
    return now.length;
  }

  /** settle runs scheduled work and drains every given client until nothing moves. */
  settle(...clients: Client[]): void {
    for (let i = 0; i < 100_000; i++) {
      let moved = this.runOnce();
      for (const c of clients) moved += c.drain();
      if (moved === 0) return;
    }
    throw new Error('settle: no quiescence');
  }

  open(requireLeader = false): Client {
    return new Client(this.hub, requireLeader);
  }
}

/** Client holds one stream and what it received. */
export class Client {
  readonly stream: WatchStream;
  readonly received: WatchResponse[] = [];
  wakes = 0;
  /** When stalled, drain() takes nothing (a client that stopped reading). */
  stalled = false;

  constructor(hub: WatchHub, requireLeader: boolean) {
    this.stream = hub.openStream({ requireLeader, wake: () => this.wakes++ });
  }

  create(o: Omit<Partial<WatchCreateRequest>, 'key' | 'rangeEnd'> & { key: string; end?: string }): void {
    const { key, end, ...rest } = o;
    const value = WatchCreateRequest.fromPartial({ ...rest, key: b(key), rangeEnd: b(end ?? '') });
    this.stream.handle({ requestUnion: { $case: 'createRequest', value } });
  }

  cancel(id: bigint): void {
    this.stream.handle({ requestUnion: { $case: 'cancelRequest', value: { watchId: id } } });
  }

  progress(): void {
    this.stream.handle({ requestUnion: { $case: 'progressRequest', value: {} } });
  }

  /** drain takes everything queued (unless stalled); returns how many responses it took. */
  drain(max = Infinity): number {
    if (this.stalled) return 0;
    let n = 0;
    while (n < max) {
      const r = this.stream.take();
      if (r === undefined) break;
      this.received.push(r);
      n++;
    }
    return n;
  }

  /** take returns and forgets what was received so far. */
  take(): WatchResponse[] {
    this.drain();
    return this.received.splice(0);
  }

  /** eventsOf lists (revision, type, key, value) of every event received for watch `id`. */
  eventsOf(id: bigint): { rev: number; type: number; key: string; value: string; prev?: string }[] {
    const out: { rev: number; type: number; key: string; value: string; prev?: string }[] = [];
    for (const r of this.received) {
      if (r.watchId !== id) continue;
      for (const e of r.events) {
        assert(e.kv !== undefined);
        out.push({
          rev: Number(e.kv.modRevision),
          type: e.type,
          key: e.kv.key.toString('latin1'),
          value: e.kv.value.toString('latin1'),
          ...(e.prevKv !== undefined ? { prev: e.prevKv.value.toString('latin1') } : {}),
        });
      }
    }
    return out;
  }
}

/** rev is a response's header revision as a number. */
export function rev(r: WatchResponse | undefined): number {
  assert(r !== undefined, 'no response');
  return Number(r.header?.revision ?? -1n);
}
