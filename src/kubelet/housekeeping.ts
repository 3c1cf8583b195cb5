/**
 * Housekeeping (upstream's HandlePodCleanups): what the runtime and the disk hold for pods this
 * kubelet no longer has — a pod deleted while the kubelet was down, a static manifest removed
 * across a restart — is stopped and removed: sandboxes (their containers with them), volume
 * directories and log directories. Only once the API pod source has synced: before that, "not
 * desired" may only mean "not seen yet". Pods with a worker are never touched.
 */
import type { CriRuntime } from './cri/types.js';
import { removeOrphanedPodLogs } from './logs/cleanup.js';
import { LABEL_POD_UID } from './pod/cri-config.js';
import type { VolumeManager } from './volumes/volume-manager.js';

/** HousekeepingDeps: what is desired, and where the leftovers are. */
export interface HousekeepingDeps {
  cri: Pick<CriRuntime, 'listPodSandbox' | 'stopPodSandbox' | 'removePodSandbox'>;
  volumes: VolumeManager;
  podLogsRoot: string;
  /** True once the API pod source has listed (and static pods were scanned). */
  synced(): boolean;
  /** Uids the kubelet wants or still works on (desired pods and live workers). */
  liveUids(): Set<string>;
  log(line: string): void;
}

/** SANDBOXES_PER_ROUND bounds the removals of one round (the next round does the rest). */
export const SANDBOXES_PER_ROUND = 64;

/** housekeep runs one round; failures are logged, the next round retries. */
export async function housekeep(d: HousekeepingDeps): Promise<void> {
  if (!d.synced()) return;
  const { items } = await d.cri.listPodSandbox({});
  const live = d.liveUids();
  const orphans = items.filter((s) => {
    const uid = s.labels[LABEL_POD_UID];
    return uid !== undefined && !live.has(uid);
  }).slice(0, SANDBOXES_PER_ROUND);
  for (const s of orphans) {
    try {
      await d.cri.stopPodSandbox({ podSandboxId: s.id });
      await d.cri.removePodSandbox({ podSandboxId: s.id });
      d.log(`housekeeping: removed sandbox ${s.id} of vanished pod ` +
        `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`);
    } catch (e) {
      d.log(`housekeeping: sandbox ${s.id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // Live again: a pod may have appeared while the runtime was asked.
  const now = d.liveUids();
  const stillRunning = new Set(items.map((s) => s.labels[LABEL_POD_UID] ?? ''));
  for (const uid of d.volumes.podUids()) {
    if (now.has(uid) || (stillRunning.has(uid) && !orphans.some((o) =>
      o.labels[LABEL_POD_UID] === uid))) continue;
    await d.volumes.tearDown(uid).catch((e: unknown) =>
      d.log(`housekeeping: volumes of ${uid}: ${String(e)}`));
  }
  await removeOrphanedPodLogs(d.podLogsRoot, now);
}
