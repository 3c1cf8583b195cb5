/**
 * terminationMessagePolicy: FallbackToLogsOnError — a container that failed (non-zero exit)
 * without a termination message gets the tail of its log as the message, as upstream's kubelet
 * does (the last 80 lines, at most 2048 bytes), so `kubectl describe` and `kubectl get -o yaml`
 * show why it died. The pure part turns CRI log bytes into that text; the shell reads the end
 * of the log file once per dead instance (the result is remembered by container id).
 */
import { open } from 'node:fs/promises';
import { decodeCriLog } from '../../runtime/logs/decode.js';
import type { Pod } from '../../api/core/v1/pod-types.js';
import type { ObservedContainer, ObservedPod } from './observed.js';

/** Upstream's limits for a message taken from the logs. */
export const FALLBACK_LINES_MAX = 80;
export const FALLBACK_BYTES_MAX = 2048;
/** How much of the file's end is read (enough for 2048 bytes of text plus CRI prefixes). */
const READ_BYTES = 16 * 1024;

/**
 * messageFromLogTail renders the last lines of a CRI log as a message. fromMiddle says the
 * bytes start mid-file, so the first (probably torn) line is dropped.
 */
export function messageFromLogTail(bytes: Buffer, fromMiddle: boolean): string {
  let buf = bytes;
  if (fromMiddle) {
    const nl = buf.indexOf(0x0a);
    buf = nl < 0 ? Buffer.alloc(0) : buf.subarray(nl + 1);
  }
  const lines: string[] = [];
  let current = '';
  for (const e of decodeCriLog(buf).entries) {
    current += e.content.toString('utf8');
    if (!e.partial) {
      lines.push(current);
      current = '';
    }
  }
  const text = lines.slice(-FALLBACK_LINES_MAX).map((l) => `${l}\n`).join('');
  const encoded = Buffer.from(text, 'utf8');
  return encoded.length <= FALLBACK_BYTES_MAX
    ? text
    : encoded.subarray(encoded.length - FALLBACK_BYTES_MAX).toString('utf8');
}

/** wantsFallback: a dead instance whose spec asks for its log tail as message. */
function wantsFallback(pod: Pod, c: ObservedContainer): boolean {
  if (c.state !== 'exited' || c.exitCode === 0 || c.message !== '' || c.logPath === '') {
    return false;
  }
  const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]
    .find((x) => x.name === c.name);
  return spec?.terminationMessagePolicy === 'FallbackToLogsOnError';
}

/** readTail reads the last READ_BYTES of a file ('' when it cannot be read). */
async function readTail(path: string): Promise<string> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - READ_BYTES);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      return messageFromLogTail(buf, start > 0);
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/**
 * withFallbackMessages fills the messages of failed instances that asked for their log tail.
 * known carries messages already read (by container id) and is updated; entries of instances
 * no longer observed are dropped, so it stays bounded by what the runtime keeps.
 */
export async function withFallbackMessages(
  pod: Pod,
  obs: ObservedPod,
  known: Record<string, string>,
): Promise<{ observed: ObservedPod; known: Record<string, string> }> {
  const next: Record<string, string> = {};
  const containers: ObservedContainer[] = [];
  for (const c of obs.containers) {
    if (!wantsFallback(pod, c)) {
      containers.push(c);
      continue;
    }
    const message = known[c.id] ?? await readTail(c.logPath);
    next[c.id] = message;
    containers.push(message === '' ? c : { ...c, message });
  }
  return { observed: { sandboxes: obs.sandboxes, containers }, known: next };
}
