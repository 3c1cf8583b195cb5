/**
 * Garbage collection of a live pod's dead instances (upstream's container GC, per pod): each
 * container keeps its newest two instances — the current one and the one `kubectl logs
 * --previous` and lastState read — and dead sandboxes go once no kept container lives in them.
 * Without it a crash-looping container would leave one dead instance per restart, forever.
 */
import { instancesOf, latestSandbox, type ObservedPod } from './observed.js';

/** Instances kept per container name. */
export const KEEP_INSTANCES = 2;

/** Removals are what gc wants deleted from the runtime. */
export interface Removals {
  containerIds: string[];
  sandboxIds: string[];
}

/** selectGarbage picks dead instances and sandboxes to remove (pure). */
export function selectGarbage(obs: ObservedPod): Removals {
  const names = [...new Set(obs.containers.map((c) => c.name))];
  const containerIds: string[] = [];
  const kept = new Set<string>();
  for (const name of names) {
    instancesOf(obs, name).forEach((c, i) => {
      if (i >= KEEP_INSTANCES && c.state !== 'running') containerIds.push(c.id);
      else kept.add(c.sandboxId);
    });
  }
  const current = latestSandbox(obs)?.id;
  const sandboxIds = obs.sandboxes
    .filter((s) => s.id !== current && !s.ready && !kept.has(s.id))
    .map((s) => s.id);
  return { containerIds, sandboxIds };
}

/** withoutRemoved is obs minus what was removed. */
export function withoutRemoved(obs: ObservedPod, r: Removals): ObservedPod {
  const c = new Set(r.containerIds);
  const s = new Set(r.sandboxIds);
  return {
    sandboxes: obs.sandboxes.filter((x) => !s.has(x.id)),
    containers: obs.containers.filter((x) => !c.has(x.id)),
  };
}
