/**
 * tailLines without reading the whole log into memory: scan the file backwards one block at a
 * time, counting newlines, to the offset where the last N lines begin. Lines are the file's
 * lines (a 40 KiB line split in three P pieces counts three, as for the kubelet), and an
 * unfinished last line (no newline yet) is not counted but still read after the offset.
 */
import type { FileHandle } from 'node:fs/promises';
import { assert } from '../../base/assert.js';

/** TAIL_BLOCK_BYTES is how much of the file one backward step reads (the scan's memory). */
export const TAIL_BLOCK_BYTES = 64 * 1024;

/**
 * newlinesBackwards scans block from its end, counting newlines on top of countSoFar; when the
 * count reaches wanted it returns the index just past that newline. Pure core of the scan.
 */
export function newlinesBackwards(
  block: Uint8Array,
  countSoFar: number,
  wanted: number,
): { count: number; startIndex?: number } {
  let count = countSoFar;
  for (let i = block.length - 1; i >= 0; i--) {
    if (block[i] !== 0x0a) continue;
    count++;
    if (count === wanted) return { count, startIndex: i + 1 };
  }
  return { count };
}

/** tailStartOffset returns the offset of the last `lines` lines of the first sizeBytes. */
export async function tailStartOffset(
  file: FileHandle,
  sizeBytes: number,
  lines: number,
): Promise<number> {
  assert(Number.isInteger(lines) && lines >= 0, `bad tail line count ${lines}`);
  // The last `lines` lines start just past the (lines + 1)-th newline from the end.
  const wanted = lines + 1;
  const block = Buffer.allocUnsafe(Math.min(TAIL_BLOCK_BYTES, Math.max(sizeBytes, 1)));
  let count = 0;
  for (let end = sizeBytes; end > 0; ) {
    const start = Math.max(0, end - block.length);
    const view = block.subarray(0, end - start);
    const { bytesRead } = await file.read(view, 0, view.length, start);
    // Log files only grow; a shorter read means someone truncated it under us.
    if (bytesRead !== view.length) throw new Error('log file was truncated while tailing');
    const step = newlinesBackwards(view, count, wanted);
    if (step.startIndex !== undefined) return start + step.startIndex;
    count = step.count;
    end = start;
  }
  return 0;
}
