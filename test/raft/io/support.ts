/**
 * Helpers shared by the raft/io tests: temp dirs on the real disk, entry builders, log dumps.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EntryType, type Entry } from '../../../src/raft/core/types.js';
import type { LogStorage } from '../../../src/raft/core/types.js';

/** tempDir makes a fresh directory under os.tmpdir() and registers its removal. */
export function tempDir(cleanups: (() => void)[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8ts-io-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** entry builds a normal entry whose data names it, so mixups show in diffs. */
export function entry(index: number, term: number, tag = ''): Entry {
  return { index, term, type: EntryType.ENTRY_TYPE_NORMAL, data: Buffer.from(`e${index}t${term}${tag}`) };
}

/** entries builds [lo, hi] at one term. */
export function entries(lo: number, hi: number, term: number, tag = ''): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(entry(i, term, tag));
  return out;
}

/** dump lists a storage's entries as "index/term/data" strings. */
export function dump(s: LogStorage): string[] {
  const lo = s.firstIndex();
  const hi = s.lastIndex();
  if (hi < lo) return [];
  return s.entries(lo, hi + 1, Number.MAX_SAFE_INTEGER).map(show);
}

export function show(e: Entry): string {
  return `${e.index}/${e.term}/${Buffer.from(e.data).toString()}`;
}
