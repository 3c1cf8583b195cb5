/**
 * The container log rotation policy, pure (upstream's container log manager, decided here from
 * a file listing so it can be tested without a disk). Once a container's log reaches
 * maxSizeBytes: leftovers of an interrupted round are removed (*.tmp, a plain file whose .gz
 * exists), the oldest rotated files go so that at most maxFiles remain counting the current
 * log and the one about to be rotated, older rotated files are gzipped, and the current log is
 * renamed to <log>.<YYYYMMDD-hhmmss> (UTC) for the runtime to reopen a fresh file. Removing the
 * oldest first never pulls a file from under a reader of the newest ones.
 */
import { assert } from '../../base/assert.js';

/** How big logs may grow and how many files a container keeps (kubelet config fields). */
export interface RotationPolicy {
  /** containerLogMaxSize: rotate at this size (default 10 Mi). */
  maxSizeBytes: number;
  /** containerLogMaxFiles: files kept per container, the current one included (≥ 2; 5). */
  maxFiles: number;
  /** gzip rotated files but the newest (upstream always does; a reader may still have it). */
  compress: boolean;
}

/** DEFAULT_ROTATION_POLICY is the kubelet's defaults: 10Mi, 5 files, compressed. */
export const DEFAULT_ROTATION_POLICY: RotationPolicy = {
  maxSizeBytes: 10 * 1024 * 1024,
  maxFiles: 5,
  compress: true,
};

/** One step of a rotation, executed in order by the shell. */
export type RotationAction =
  | { kind: 'remove'; path: string; why: 'leftover' | 'excess' }
  | { kind: 'compress'; path: string; to: string }
  /** rename from → to, then CRI ReopenContainerLog; on its failure rename back. */
  | { kind: 'rotate'; from: string; to: string };

/** What the planner looks at for one container. */
export interface RotationInput {
  logPath: string;
  sizeBytes: number;
  /** Every existing path that starts with `${logPath}.` (rotated, compressed, temporary). */
  rotatedPaths: readonly string[];
  nowWallMs: number;
}

export const GZ_SUFFIX = '.gz';
export const TMP_SUFFIX = '.tmp';

/** planRotation returns the steps for one container; none while the log is under the limit. */
export function planRotation(input: RotationInput, policy: RotationPolicy): RotationAction[] {
  assert(policy.maxFiles >= 2, `containerLogMaxFiles must be > 1, got ${policy.maxFiles}`);
  if (input.sizeBytes < policy.maxSizeBytes) return [];
  const actions: RotationAction[] = [];
  const names = new Set(input.rotatedPaths);
  const kept: string[] = [];
  for (const p of input.rotatedPaths) {
    const leftover = p.endsWith(TMP_SUFFIX) || (!p.endsWith(GZ_SUFFIX) && names.has(p + GZ_SUFFIX));
    if (leftover) actions.push({ kind: 'remove', path: p, why: 'leftover' });
    else kept.push(p);
  }
  kept.sort();
  const excess = Math.max(0, kept.length - (policy.maxFiles - 2));
  for (const p of kept.splice(0, excess)) actions.push({ kind: 'remove', path: p, why: 'excess' });
  if (policy.compress) {
    for (const p of kept) {
      if (!p.endsWith(GZ_SUFFIX)) actions.push({ kind: 'compress', path: p, to: p + GZ_SUFFIX });
    }
  }
  actions.push({ kind: 'rotate', from: input.logPath, to: rotatedName(input, names) });
  return actions;
}

/** rotatedName is <log>.<YYYYMMDD-hhmmss>, with -1, -2… when that second is taken already. */
function rotatedName(input: RotationInput, taken: ReadonlySet<string>): string {
  const iso = new Date(input.nowWallMs).toISOString(); // 2026-11-23T18:00:00.000Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-` +
    `${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  const base = `${input.logPath}.${stamp}`;
  const free = (p: string): boolean => !taken.has(p) && !taken.has(p + GZ_SUFFIX);
  if (free(base)) return base;
  for (let i = 1; ; i++) {
    if (free(`${base}-${i}`)) return `${base}-${i}`;
  }
}
