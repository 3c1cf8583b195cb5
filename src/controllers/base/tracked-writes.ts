/**
 * Writes of objects a controller publishes from a cache it also watches (Endpoints, slices): the
 * create, update or delete, then the note in WrittenVersions that keeps the next sync from
 * acting before the informer shows it. A delete of an object already gone counts as done.
 */
import type { KubeObject } from '../../api/meta.js';
import type { ComponentApi } from '../../client/component-api.js';
import type { ApiResource } from '../../client/types.js';
import { hasCode } from './api-errors.js';
import type { WrittenVersions } from './written-versions.js';

/** ObjectWrite is one planned write: what the pure plans return, what the shells perform. */
export type ObjectWrite<T extends KubeObject> =
  | { verb: 'create'; object: T }
  | { verb: 'update'; object: T }
  | { verb: 'delete'; namespace: string; name: string };

/** TrackedWriter: where a controller's writes go, and where they are remembered. */
export interface TrackedWriter {
  api: ComponentApi;
  resource: ApiResource;
  written: WrittenVersions;
}

/** performWrite does one write for controller key and records it; API errors propagate,
 *  except NotFound on a delete. */
export async function performWrite<T extends KubeObject>(w: TrackedWriter, key: string,
  a: ObjectWrite<T>): Promise<void> {
  if (a.verb === 'delete') {
    try {
      await w.api.delete(w.resource, a.namespace, a.name);
    } catch (e) {
      if (!hasCode(e, 404)) throw e;
    }
    w.written.deleted(key, a.name);
    return;
  }
  const ns = a.object.metadata.namespace ?? '';
  const out = a.verb === 'create' ? await w.api.create<T>(w.resource, ns, a.object) :
    await w.api.update<T>(w.resource, ns, a.object);
  w.written.wrote(key, out);
}
