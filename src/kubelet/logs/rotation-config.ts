/**
 * The kubelet configuration fields of log rotation, read as upstream reads them:
 * containerLogMaxSize is a quantity ("10Mi"; a negative size turns rotation off),
 * containerLogMaxFiles must be above 1. A bad value is the config's error message, for the
 * kubelet to refuse to start with, never a crash in the middle of a rotation round.
 */
import { parseQuantity } from '../../api/validation/quantity.js';
import { DEFAULT_ROTATION_POLICY, type RotationPolicy } from './rotation-plan.js';

/** The config fields (KubeletConfiguration names); absent = the kubelet's defaults. */
export interface LogRotationConfig {
  containerLogMaxSize?: string;
  containerLogMaxFiles?: number;
}

/** What the config means: a policy, rotation off, or why the config is wrong. */
export type RotationConfigResult =
  | { policy: RotationPolicy }
  | { disabled: true }
  | { error: string };

/** rotationPolicyFromConfig reads the fields; see the file comment. */
export function rotationPolicyFromConfig(cfg: LogRotationConfig): RotationConfigResult {
  const maxFiles = cfg.containerLogMaxFiles ?? DEFAULT_ROTATION_POLICY.maxFiles;
  if (!Number.isInteger(maxFiles) || maxFiles <= 1) {
    return { error: `invalid MaxFiles ${maxFiles}, must be > 1` };
  }
  if (cfg.containerLogMaxSize === undefined) {
    return { policy: { ...DEFAULT_ROTATION_POLICY, maxFiles } };
  }
  const q = parseQuantity(cfg.containerLogMaxSize);
  if (typeof q === 'string') {
    return { error: `failed to parse container log max size "${cfg.containerLogMaxSize}": ${q}` };
  }
  if (q.nanos < 0n) return { disabled: true };
  const bytes = (q.nanos + 999_999_999n) / 1_000_000_000n;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    return { error: `failed to parse container log max size "${cfg.containerLogMaxSize}": ` +
      'invalid max log size' };
  }
  return { policy: { ...DEFAULT_ROTATION_POLICY, maxSizeBytes: Number(bytes), maxFiles } };
}
