/**
 * Watch fan-out: W HTTP watch streams on one namespace's pods, spread round-robin over the API
 * servers, all starting at the same resourceVersion, while one open-loop writer creates and
 * updates pods there. Delivery latency of an event at a watcher is its receive time minus the
 * writer's receive time of the write's answer (same process, same clock); from the write's send
 * time is kept too, because an event can reach a watcher before the answer reaches the writer.
 * Every watcher must see every acknowledged write exactly once, in resourceVersion order.
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ApiClient } from './api-client.js';
import { openLoop, type OpenLoopResult } from './api-load.js';
import type { WriteAck } from './api-objects.js';
import { sleep } from './cluster.js';

export interface FanoutOptions {
  client: ApiClient;
  namespace: string;
  watchers: number;
  writesPerSec: number;
  seconds: number;
  /** write j: the writer's j-th create or update. */
  write: (j: number) => Promise<WriteAck>;
}

export interface FanoutResult {
  writes: OpenLoopResult;
  /** Acknowledged writes (the events every watcher must see). */
  acked: number;
  /** Per delivered event: receive − write answer received, ms, ascending. */
  fromAckMs: number[];
  /** Per delivered event: receive − write sent, ms, ascending. */
  fromSendMs: number[];
  missing: number;
  duplicate: number;
  outOfOrder: number;
  /** Events whose write never got an answer (timed out at the writer). */
  unacknowledged: number;
  /** Watchers whose stream failed (non-200, ERROR event, ended early). */
  failedWatchers: number;
}

/** How long the watchers get to open, and to catch up with the last write after it. */
const OPEN_WAIT_MS = 15_000;
const DRAIN_WAIT_MS = 15_000;
/** Events one watcher keeps before it stops recording (bounds memory on a runaway stream). */
const MAX_EVENTS_PER_WATCHER = 100_000;
/** The writer's in-flight cap (it runs far below it at a modest rate). */
const WRITER_MAX_INFLIGHT = 64;

interface Ack {
  sentMs: number;
  ackMs: number;
}

interface ListMeta {
  metadata: { resourceVersion: string };
}

interface Seen {
  rv: number;
  atMs: number;
}

interface WatchEvent {
  type: string;
  object?: { metadata?: { resourceVersion?: string } };
}

/** Watcher is one watch stream, its events as received. */
class Watcher {
  readonly seen: Seen[] = [];
  opened = false;
  failed = '';
  private rest = '';
  private readonly stream: { close(): void };

  constructor(client: ApiClient, path: string, server: number) {
    this.stream = client.stream(path, server, (res) => this.onResponse(res));
  }

  private onResponse(res: IncomingMessage): void {
    if (res.statusCode !== 200) {
      this.failed = `HTTP ${res.statusCode ?? 0}`;
      res.resume();
      return;
    }
    this.opened = true;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.onData(chunk, performance.now()));
    res.on('end', () => { this.failed ||= 'stream ended'; });
    res.on('error', (err) => { this.failed ||= err.message; });
  }

  private onData(chunk: string, atMs: number): void {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let e: WatchEvent;
      try {
        e = JSON.parse(line) as WatchEvent;
      } catch {
        this.failed ||= `not JSON: ${line.slice(0, 200)}`;
        continue;
      }
      if (e.type === 'BOOKMARK') continue;
      if (e.type === 'ERROR') {
        this.failed ||= `ERROR event ${line.slice(0, 200)}`;
        continue;
      }
      if (this.seen.length < MAX_EVENTS_PER_WATCHER) {
        this.seen.push({ rv: Number(e.object?.metadata?.resourceVersion), atMs });
      }
    }
  }

  close(): void {
    this.stream.close();
  }
}

/** watchFanout runs one fan-out test and checks every stream against the acknowledged writes. */
export async function watchFanout(o: FanoutOptions): Promise<FanoutResult> {
  const base = `/api/v1/namespaces/${o.namespace}/pods`;
  const listed = await o.client.request('GET', `${base}?limit=1`);
  if (listed.status !== 200) throw new Error(`watch fan-out: list ${base}: HTTP ${listed.status}`);
  const fromRv = (JSON.parse(listed.body.toString('utf8')) as ListMeta).metadata.resourceVersion;
  const timeoutS = Math.ceil(o.seconds + (OPEN_WAIT_MS + DRAIN_WAIT_MS) / 1000 + 30);
  const path = `${base}?watch=true&resourceVersion=${fromRv}&timeoutSeconds=${timeoutS}`;
  const servers = o.client.servers.length;
  const watchers = Array.from({ length: o.watchers }, (_, i) =>
    new Watcher(o.client, path, i % servers));
  try {
    await waitUntil(() => watchers.every((w) => w.opened || w.failed !== ''), OPEN_WAIT_MS);
    const notOpen = watchers.filter((w) => !w.opened).length;
    if (notOpen > 0) throw new Error(`watch fan-out: ${notOpen} of ${o.watchers} did not open`);
    const acks = new Map<number, Ack>();
    const writes = await openLoop({
      ratePerSec: o.writesPerSec,
      warmupMs: 0,
      measureMs: o.seconds * 1000,
      maxInflight: WRITER_MAX_INFLIGHT,
      op: async (j) => {
        const sentMs = performance.now();
        const ack = await o.write(j);
        const ackMs = performance.now();
        if (ack.resourceVersion !== undefined) {
          acks.set(Number(ack.resourceVersion), { sentMs, ackMs });
        }
        return ack.status;
      },
    });
    const lastRv = Math.max(0, ...acks.keys());
    const caughtUp = (w: Watcher): boolean =>
      w.failed !== '' || (w.seen.at(-1)?.rv ?? 0) >= lastRv;
    await waitUntil(() => watchers.every(caughtUp), DRAIN_WAIT_MS);
    return check(watchers, acks, writes);
  } finally {
    for (const w of watchers) w.close();
  }
}

/** check compares each watcher's events with the acknowledged writes, in revision order. */
function check(
  watchers: readonly Watcher[],
  acks: ReadonlyMap<number, Ack>,
  writes: OpenLoopResult,
): FanoutResult {
  const out: FanoutResult = {
    writes, acked: acks.size, fromAckMs: [], fromSendMs: [],
    missing: 0, duplicate: 0, outOfOrder: 0, unacknowledged: 0, failedWatchers: 0,
  };
  for (const w of watchers) {
    if (w.failed !== '') out.failedWatchers++;
    const unique = new Set<number>();
    let prev = -Infinity;
    for (const s of w.seen) {
      if (s.rv <= prev) out.outOfOrder++;
      prev = Math.max(prev, s.rv);
      if (unique.has(s.rv)) out.duplicate++;
      unique.add(s.rv);
      const a = acks.get(s.rv);
      if (!a) {
        out.unacknowledged++;
        continue;
      }
      out.fromAckMs.push(s.atMs - a.ackMs);
      out.fromSendMs.push(s.atMs - a.sentMs);
    }
    for (const rv of acks.keys()) if (!unique.has(rv)) out.missing++;
  }
  out.fromAckMs.sort((a, b) => a - b);
  out.fromSendMs.sort((a, b) => a - b);
  return out;
}

/** mismatches is the total the brief asks to be 0: missing, duplicate and out-of-order events. */
export function mismatches(r: FanoutResult): number {
  return r.missing + r.duplicate + r.outOfOrder;
}

async function waitUntil(cond: () => boolean, waitMs: number): Promise<void> {
  const fromMs = performance.now();
  while (!cond() && performance.now() - fromMs < waitMs) await sleep(20);
}
