/**
 * ScriptedApi: a ComponentApi test double for reflector and informer tests. list answers from a
 * mutable array of pages; each watch() takes the next scripted watch: events to deliver, then
 * how it ends (cleanly, with an error, or staying open until stop()). Only list and watch work.
 */
import type { KubeList, KubeObject } from '../../../src/api/meta.js';
import type { ComponentApi } from '../../../src/client/component-api.js';
import type { ApiWatch, ListOptions, WatchEvent, WatchOptions } from '../../../src/client/types.js';

/** ScriptedWatch: events, then end ("clean"), throw (an Error), or "open" (until stopped). */
export interface ScriptedWatch {
  events: WatchEvent<KubeObject>[];
  end: 'clean' | 'open' | Error;
}

/** ScriptedApi records calls so tests can check what the reflector asked for. */
export class ScriptedApi {
  /** Pages of the next list calls; one list may consume several pages (continue). An Error
   *  fails that list call with it. */
  lists: (KubeList<KubeObject>[] | Error)[] = [];
  watches: ScriptedWatch[] = [];
  readonly listCalls: ListOptions[] = [];
  readonly watchCalls: WatchOptions[] = [];
  private listCall: KubeList<KubeObject>[] | undefined;

  readonly api: ComponentApi = {
    list: <T extends KubeObject>(_r: unknown, _ns: unknown, o: ListOptions = {}) => {
      this.listCalls.push(o);
      if (o.continue === undefined || o.continue === '') {
        const next = this.lists.shift();
        if (next instanceof Error) return Promise.reject(next);
        this.listCall = next;
      }
      const page = this.listCall?.shift();
      if (page === undefined) return Promise.reject(new Error('no scripted list'));
      return Promise.resolve(page as KubeList<T>);
    },
    watch: <T extends KubeObject>(_r: unknown, _ns: unknown, o: WatchOptions = {}) => {
      this.watchCalls.push(o);
      const s = this.watches.shift() ?? { events: [], end: 'open' };
      return scriptedWatch(s) as unknown as ApiWatch<T>;
    },
    get: () => Promise.reject(new Error('not scripted')),
    create: () => Promise.reject(new Error('not scripted')),
    update: () => Promise.reject(new Error('not scripted')),
    patch: () => Promise.reject(new Error('not scripted')),
    delete: () => Promise.reject(new Error('not scripted')),
    bind: () => Promise.reject(new Error('not scripted')),
  };
}

function scriptedWatch(s: ScriptedWatch): ApiWatch<KubeObject> {
  let stop = (): void => {};
  const stopped = new Promise<void>((r) => (stop = r));
  return {
    stop: () => stop(),
    async *[Symbol.asyncIterator]() {
      for (const e of s.events) yield e;
      if (s.end === 'open') await stopped;
      else if (s.end instanceof Error) throw s.end;
    },
  };
}

/** page builds one list page. */
export function page(rv: string, items: KubeObject[], cont = ''): KubeList<KubeObject> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMapList',
    metadata: { resourceVersion: rv, ...(cont !== '' ? { continue: cont } : {}) },
    items,
  };
}

/** cm builds a ConfigMap at a resourceVersion. */
export function cm(name: string, rv: string, labels: Record<string, string> = {},
  namespace = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace,
    resourceVersion: rv, labels } };
}

/** ev builds a watch event. */
export function ev(type: WatchEvent<KubeObject>['type'], obj: KubeObject): WatchEvent<KubeObject> {
  return { type, object: obj };
}
