/**
 * The common metadata rules of every write, pure (kube-apiserver's rest.BeforeCreate and
 * BeforeUpdate): the server owns uid, creationTimestamp, generation, resourceVersion and
 * deletionTimestamp; clients cannot set or change them. Time and uid come in as arguments.
 */
import type { KubeObject, ObjectMeta } from '../../api/meta.js';

/** The last second rfc3339 rendered, and its text: every write asks for "now", and a burst's
 *  writes share their seconds (a Date, an ISO string and its replacement per write otherwise). */
let lastSecond = NaN;
let lastText = '';

/** rfc3339 renders wall-clock milliseconds as metav1.Time does: second precision, UTC. */
export function rfc3339(wallMs: number): string {
  const second = Math.floor(wallMs / 1000);
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastText;
}

const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** generatedName appends 5 characters to generateName, from upstream's consonant alphabet. */
export function generatedName(prefix: string, random: () => number): string {
  let s = '';
  for (let i = 0; i < 5; i++) {
    s += NAME_SUFFIX_ALPHABET[Math.floor(random() * NAME_SUFFIX_ALPHABET.length)] ?? 'b';
  }
  // Upstream trims the prefix so the result stays within 63 characters.
  return prefix.slice(0, 58) + s;
}

/** prepareCreateMeta sets the server-owned fields of a new object, in place. */
export function prepareCreateMeta(
  obj: KubeObject,
  o: { uid: string; nowIso: string; hasGeneration: boolean },
): void {
  const m: ObjectMeta = obj.metadata;
  m.uid = o.uid;
  m.creationTimestamp = o.nowIso;
  delete m.resourceVersion;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.selfLink;
  if (o.hasGeneration) m.generation = 1;
  else delete m.generation;
}

/**
 * prepareUpdateMeta carries the server-owned fields over from the stored object, in place, and
 * bumps generation when a spec field changed.
 */
export function prepareUpdateMeta(obj: KubeObject, old: KubeObject, specFields: readonly string[]): void {
  const m = obj.metadata;
  const o = old.metadata;
  m.uid = o.uid;
  m.creationTimestamp = o.creationTimestamp;
  if (o.deletionTimestamp !== undefined) m.deletionTimestamp = o.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (o.deletionGracePeriodSeconds !== undefined) {
    m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  } else delete m.deletionGracePeriodSeconds;
  delete m.selfLink;
  if (specFields.length === 0) {
    delete m.generation;
    return;
  }
  const changed = specFields.some((f) => JSON.stringify(obj[f]) !== JSON.stringify(old[f]));
  m.generation = (o.generation ?? 1) + (changed ? 1 : 0);
}
