/**
 * LeaseStore: an in-memory API double for election tests on a simulated clock. It keeps Leases
 * with resourceVersion preconditions and the API server's fence rule (the revision of each
 * lease's last holder change; a fenced write of an older term is refused with 403 "leases"),
 * and accepts any other create (as "the work's writes"). Each candidate gets its own view,
 * which a test can cut off (every call fails) to simulate a partition or a paused process.
 */
import { alreadyExists, conflict, forbidden, notFound } from '../../../src/api/errors.js';
import type { Lease } from '../../../src/api/coordination/v1/lease.js';
import type { KubeObject } from '../../../src/api/meta.js';
import type { ComponentApi } from '../../../src/client/component-api.js';
import type {
  ApiWatch,
  CallOptions,
  LeaderFence,
  WatchEvent,
} from '../../../src/client/types.js';

const GR = { group: 'coordination.k8s.io', resource: 'leases' };

/** View is one candidate's connection. */
export interface View {
  api: ComponentApi;
  cut: boolean;
  /** While paused, calls wait (a slow API, a busy machine); resume() lets them through. */
  paused: boolean;
  resume(): void;
}

/** LeaseStore holds leases by "ns/name". */
export class LeaseStore {
  rev = 1;
  /** Whether views serve watches (off: watch() throws, as an API without them). */
  watchable = false;
  /** Lease GETs served, in all. */
  gets = 0;
  private readonly watchers = new Set<(l: Lease) => void>();
  readonly leases = new Map<string, Lease>();
  /** Revision of the last holder change per lease (the fence record). */
  readonly fences = new Map<string, number>();
  /** Writes of other resources that were accepted: "<name> by fence <rev>". */
  readonly writes: string[] = [];

  view(): View {
    const waiting: (() => void)[] = [];
    const v: View = {
      cut: false,
      paused: false,
      api: undefined as unknown as ComponentApi,
      resume: () => {
        v.paused = false;
        for (const w of waiting.splice(0)) w();
      },
    };
    const gate = (): Promise<void> =>
      v.paused ? new Promise<void>((r) => waiting.push(r)) : Promise.resolve();
    const call = <T>(f: () => T): Promise<T> =>
      v.cut ? Promise.reject(new Error('unreachable (cut)')) : gate().then(f);
    const fail = (): Promise<never> => Promise.reject(new Error('not in the double'));
    v.api = {
      get: <T extends KubeObject>(_r: unknown, ns: string | undefined, name: string) =>
        call(() => this.get(`${ns ?? ''}/${name}`) as unknown as T),
      create: <T extends KubeObject>(r: { resource: string }, ns: string | undefined, obj: T,
        o?: CallOptions) => call(() => this.create(r.resource, ns ?? '', obj, o) as T),
      update: <T extends KubeObject>(_r: unknown, ns: string | undefined, obj: T) =>
        call(() => this.update(ns ?? '', obj as unknown as Lease) as unknown as T),
      list: fail,
      watch: <T extends KubeObject>() => {
        if (!this.watchable) throw new Error('not in the double');
        return this.watch(v) as unknown as ApiWatch<T>;
      },
      patch: fail,
      delete: fail,
      bind: fail,
    };
    return v;
  }

  holder(key = 'kube-system/lock'): string {
    return this.leases.get(key)?.spec?.holderIdentity ?? '';
  }

  /** watch: the current lease (ADDED), then every write (MODIFIED) while the view is not cut;
   *  one lease is enough for these tests. */
  private watch(v: View): ApiWatch<Lease> {
    const queue: Lease[] = [...this.leases.values()].map((l) => structuredClone(l));
    let wake: (() => void) | undefined;
    let stopped = false;
    const push = (l: Lease): void => {
      if (v.cut) return;
      queue.push(structuredClone(l));
      wake?.();
    };
    this.watchers.add(push);
    const stop = (): void => {
      stopped = true;
      this.watchers.delete(push);
      wake?.();
    };
    async function* events(): AsyncGenerator<WatchEvent<Lease>> {
      for (let first = true; !stopped; first = false) {
        const l = queue.shift();
        if (l !== undefined) {
          yield { type: first ? 'ADDED' : 'MODIFIED', object: l };
          continue;
        }
        await new Promise<void>((r) => (wake = r));
      }
    }
    return { stop, [Symbol.asyncIterator]: () => events() };
  }

  private notify(l: Lease): void {
    for (const w of this.watchers) w(l);
  }

  private get(key: string): Lease {
    this.gets++;
    const l = this.leases.get(key);
    if (l === undefined) throw notFound(GR, key);
    return structuredClone(l);
  }

  private create(resource: string, ns: string, obj: KubeObject, o?: CallOptions): KubeObject {
    if (resource !== 'leases') return this.fencedWrite(obj, o?.fence);
    const key = `${ns}/${obj.metadata.name ?? ''}`;
    if (this.leases.has(key)) throw alreadyExists(GR, key);
    const l = structuredClone(obj) as Lease;
    l.metadata.resourceVersion = String(++this.rev);
    this.leases.set(key, l);
    this.fences.set(key, this.rev);
    this.notify(l);
    return structuredClone(l);
  }

  private update(ns: string, obj: Lease): Lease {
    const key = `${ns}/${obj.metadata.name ?? ''}`;
    const cur = this.leases.get(key);
    if (cur === undefined) throw notFound(GR, key);
    if (cur.metadata.resourceVersion !== obj.metadata.resourceVersion) {
      throw conflict(GR, key, 'the object has been modified');
    }
    const l = structuredClone(obj);
    l.metadata.resourceVersion = String(++this.rev);
    this.leases.set(key, l);
    if ((cur.spec?.holderIdentity ?? '') !== (l.spec?.holderIdentity ?? '')) {
      this.fences.set(key, this.rev);
    }
    this.notify(l);
    return structuredClone(l);
  }

  private fencedWrite(obj: KubeObject, fence: LeaderFence | undefined): KubeObject {
    if (fence !== undefined) {
      const held = this.fences.get(`${fence.namespace}/${fence.name}`) ?? 0;
      if (String(held) !== fence.revision) throw forbidden(GR, fence.name, 'fenced');
    }
    this.writes.push(`${obj.metadata.name ?? ''} by fence ${fence?.revision ?? '-'}`);
    return obj;
  }
}
