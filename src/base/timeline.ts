/**
 * Timeline stamps: a diagnostic, off unless the environment variable K8TS_TIMELINE names a
 * directory. Then stamp(stage, key) records "<µs since the epoch> <stage> <key>" and the lines are
 * appended, in the background, to <dir>/<pid>.tl — one file per process, so a bench can
 * lay one object's path through several processes (API server, store client, scheduler) on one
 * time axis (bench/lib/burst-timeline.ts reads them). Why wall time with sub-millisecond parts:
 * the stamps of different processes are compared, and every process on one machine reads the
 * same realtime clock (performance.timeOrigin + performance.now()).
 *
 * Off (the normal case) a stamp is one boolean test. On, memory is bounded: at most MAX_LINES
 * wait for the next append; beyond that stamps are counted and dropped (the count is written).
 */
import { appendFile } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const DIR = process.env.K8TS_TIMELINE ?? '';
/** timelineOn: whether stamps are recorded in this process (read once, at load). */
export const timelineOn = DIR !== '';

/** Lines waiting for an append at most. */
const MAX_LINES = 100_000;
/** Appends happen at most this often. */
const FLUSH_MS = 200;

let lines: string[] = [];
let dropped = 0;
let flushing = false;
let timer: NodeJS.Timeout | undefined;

/** stamp records that key (an object, e.g. "ns/name") reached stage now. */
export function stamp(stage: string, key: string): void {
  if (!timelineOn) return;
  if (lines.length >= MAX_LINES) {
    dropped++;
    return;
  }
  const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
  lines.push(`${us} ${stage} ${key}\n`);
  timer ??= setTimeout(flush, FLUSH_MS).unref();
}

/** fileName: this process's timeline file (a bench maps pids to components). */
function fileName(): string {
  return join(DIR, `${process.pid}.tl`);
}

function flush(): void {
  timer = undefined;
  if (flushing || lines.length === 0) return;
  const text = lines.join('') + (dropped > 0 ? `0 dropped ${dropped}\n` : '');
  lines = [];
  dropped = 0;
  flushing = true;
  appendFile(fileName(), text, () => {
    flushing = false;
    if (lines.length > 0) timer ??= setTimeout(flush, FLUSH_MS).unref();
  });
}
