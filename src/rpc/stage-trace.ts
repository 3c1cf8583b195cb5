/**
 * stageTrace: where a write's time goes, stage by stage, for the store benchmark's stage breakdown
 * (`K8TS_PUT_TRACE=<dir> npm run bench -- store --only k8ts --tests put-c16`, then
 * `node --import tsx bench/lib/store-trace.ts <dir>`). Off unless K8TS_PUT_TRACE names a
 * directory: then every member records, in wall-clock ms shared across processes,
 *  - per write it served: request stream opened, request decoded, proposed, applied here, answered;
 *  - per Raft message with entries or acking them: appends sent and received, acks sent and
 *    received (with the last index they cover);
 *  - every WAL fdatasync's start and end (on the event loop or the thread pool);
 *  - every GC pause (start, duration, kind), which stops the loop all of the above runs on;
 * and writes them as JSON to <dir>/trace.<pid>.json when it exits. Bounded: recording stops at
 * MAX_EVENTS. Nothing here changes what a member does.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

/** One served write: [opened, decoded, proposed, applied, answered, index] (ms; index last). */
export type CallStamps = [number, number, number, number, number, number];

/** Raft event kinds: append sent / received, ack sent / received, fdatasync start / end. */
export type RaftEventKind = 'appTx' | 'appRx' | 'ackTx' | 'ackRx' | 'syncA' | 'syncB';

/** One Raft event: [kind, ms, peer (0 when none), last index covered (0 when none)]. */
export type RaftEvent = [RaftEventKind, number, number, number];

/** One GC pause: [start (wall ms), duration ms, kind (perf_hooks' NODE_PERFORMANCE_GC_*: 1 a
 *  scavenge, 4 a mark-compact, 8 incremental marking, 16 weak callbacks)]. */
export type GcPause = [number, number, number];

/** The file one member writes (gc: absent in traces written before it was recorded). */
export interface TraceFile {
  pid: number;
  calls: CallStamps[];
  raft: RaftEvent[];
  gc?: GcPause[];
}

const MAX_EVENTS = 2_000_000;

/** wallMs is a wall-clock ms with sub-ms resolution, comparable across processes. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** StageTrace keeps one member's records; see the file comment. */
export class StageTrace {
  private readonly calls: CallStamps[] = [];
  private readonly raft: RaftEvent[] = [];
  private readonly gc: GcPause[] = [];
  private readonly gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
      if (this.gc.length < MAX_EVENTS) this.gc.push([performance.timeOrigin + e.startTime, e.duration, kind]);
    }
  });

  private syncWrapped = false;

  constructor(private readonly dir: string) {
    this.gcObserver.observe({ entryTypes: ['gc'] });
    process.on('exit', () => this.write());
  }

  /** wrapSync records the start and end of every fdatasync made through fs (once per process:
   *  the Raft transport calls it with the member's file system). */
  wrapSync<H>(fs: { fdatasync(fh: H): void; fdatasyncInBackground?(fh: H): Promise<void> }): void {
    if (this.syncWrapped) return;
    this.syncWrapped = true;
    const sync = fs.fdatasync.bind(fs);
    fs.fdatasync = (fh: H): void => {
      this.event('syncA', 0, 0);
      sync(fh);
      this.event('syncB', 0, 0);
    };
    const background = fs.fdatasyncInBackground?.bind(fs);
    if (background === undefined) return;
    fs.fdatasyncInBackground = async (fh: H): Promise<void> => {
      this.event('syncA', 0, 0);
      await background(fh);
      this.event('syncB', 0, 0);
    };
  }

  /** call records one served write (stamps from wallMs; index of its entry, 0 if it failed). */
  call(stamps: CallStamps): void {
    if (this.calls.length < MAX_EVENTS) this.calls.push(stamps);
  }

  event(kind: RaftEventKind, peer: number, index: number): void {
    if (this.raft.length < MAX_EVENTS) this.raft.push([kind, wallMs(), peer, index]);
  }

  private write(): void {
    const out: TraceFile = { pid: process.pid, calls: this.calls, raft: this.raft, gc: this.gc };
    writeFileSync(join(this.dir, `trace.${process.pid}.json`), JSON.stringify(out));
  }
}

const dir = process.env.K8TS_PUT_TRACE;

/** The process's tracer, or undefined (the normal case: no cost beyond one check per hook). */
export const stageTrace: StageTrace | undefined = dir ? new StageTrace(dir) : undefined;
