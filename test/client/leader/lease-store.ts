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
import type { CallOptions, LeaderFence } from '../../../src/client/types.js';

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
      watch: () => {
        throw new Error('not in the double');
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

  private get(key: string): Lease {
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
