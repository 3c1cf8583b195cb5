/**
 * crashNodePods: what `k8ts kill <node>` does to the pods of a process-runtime node after
 * SIGKILLing its kubelet and runtime — a machine dying takes its processes with it. Containers of
 * the process runtime are process groups that outlive their runtime (so that restarting a
 * runtime or kubelet leaves pods running, as on a real node); here every group the runtime's
 * records name is SIGKILLed, checked by its start time so a recycled pid is never hit.
 */
import { connectCri } from '../kubelet/cri/client.js';
import { isSameProcess } from '../runtime/process/proc-stats.js';
import { StateStore } from '../runtime/process/state-store.js';

/** crashNodePods SIGKILLs every running container's process group; returns the pids hit. */
export function crashNodePods(runtimeDir: string): number[] {
  const hit: number[] = [];
  let records;
  try {
    records = new StateStore(runtimeDir).loadContainers();
  } catch {
    return hit; // no runtime state: nothing ever ran here
  }
  for (const c of records) {
    if (c.phase !== 'running' || c.pid <= 0 || !isSameProcess(c.pid, c.pidStartTicks)) continue;
    try {
      process.kill(-c.pid, 'SIGKILL');
      hit.push(c.pid);
    } catch {
      // Gone in between.
    }
  }
  return hit;
}

/**
 * stopAllSandboxes stops and removes every pod sandbox a runtime holds, through its CRI socket:
 * the runtime stops each container with its grace (SIGTERM, then SIGKILL), so `k8ts down` leaves
 * no process behind. Returns how many sandboxes there were; a runtime that does not answer
 * within the deadline leaves its pods to the runtime's own stop.
 */
export async function stopAllSandboxes(socketPath: string): Promise<number> {
  const cri = connectCri(socketPath, { deadlineMs: 30_000 });
  try {
    const { items } = await cri.listPodSandbox({});
    for (const sb of items) {
      await cri.stopPodSandbox({ podSandboxId: sb.id });
      await cri.removePodSandbox({ podSandboxId: sb.id });
    }
    return items.length;
  } catch {
    return 0;
  } finally {
    cri.close();
  }
}
