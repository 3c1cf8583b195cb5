/**
 * RegistryApi: the component API's verbs (ComponentApi) served in-process by the REAL registry,
 * for the control-plane simulation: the same calls the gRPC face makes, minus the network.
 * Objects cross the boundary as copies (the wire would serialise them; watch events are fresh
 * decodes per watcher already), the caller's fence
 * travels in the RequestContext as the k8ts-fence metadata would, and errors are the registry's
 * own StatusErrors — exactly what ApiClient rebuilds from the wire.
 */
import { notFound } from '../../api/errors.js';
import type { KubeList, KubeObject } from '../../api/meta.js';
import { findResource, type ResourceInfo } from '../../api/resources.js';
import { assert } from '../../base/assert.js';
import type { ApiRegistry, RequestContext, UserInfo } from '../../apiserver/registry/types.js';
import type { StorageWatchEvent } from '../../apiserver/storage/types.js';
import type { ComponentApi, Ns } from '../../client/component-api.js';
import type {
  ApiResource, ApiWatch, CallOptions, DeleteOptions, DeleteResult, GetOptions, ListOptions,
  PatchOptions, PatchType, WatchEvent, WatchOptions, WriteOptions,
} from '../../client/types.js';

/** WATCH_BUFFER_MAX: events a slow in-process watcher may hold before its watch ends (as the
 *  API server ends a watcher that does not keep up). */
export const WATCH_BUFFER_MAX = 100_000;

export class RegistryApi implements ComponentApi {
  constructor(
    private readonly reg: ApiRegistry,
    private readonly user: UserInfo,
  ) {}

  async get<T extends KubeObject>(r: ApiResource, ns: Ns, name: string, o: GetOptions = {}):
    Promise<T> {
    return copy(await this.reg.get(this.ctx(o), info(r), ns, name, o.subresource)) as T;
  }

  async list<T extends KubeObject>(r: ApiResource, ns: Ns, o: ListOptions = {}):
    Promise<KubeList<T>> {
    const { timeoutMs: _t, traceparent: _p, fence: _f, ...opts } = o;
    return copy(await this.reg.list(this.ctx(o), info(r), ns, opts)) as KubeList<T>;
  }

  watch<T extends KubeObject>(r: ApiResource, ns: Ns, o: WatchOptions = {}): ApiWatch<T> {
    const { timeoutSeconds: _s, traceparent: _p, ...opts } = o;
    const feed = new EventFeed<T>();
    const w = this.reg.watch(this.ctx({}), info(r), ns, opts,
      // No copy here: MemoryStorage decodes a fresh object for every watcher and event, so a
      // watch event is already this caller's own (copying it again was a sixth of a run).
      (e: StorageWatchEvent) =>
        feed.push({ type: e.type as WatchEvent<T>['type'], object: e.object as T }),
      (err) => feed.fail(err));
    feed.onStop = () => w.stop();
    return feed;
  }

  async create<T extends KubeObject>(r: ApiResource, ns: Ns, obj: T, o: WriteOptions = {}):
    Promise<T> {
    const out = await this.reg.create(this.ctx(o), info(r), ns, copy(obj), writeOpts(o));
    return copy(out.object) as T;
  }

  async update<T extends KubeObject>(r: ApiResource, ns: Ns, obj: T, o: WriteOptions = {}):
    Promise<T> {
    const name = obj.metadata.name ?? '';
    const out = await this.reg.update(this.ctx(o), info(r), ns, name, copy(obj), writeOpts(o));
    return copy(out.object) as T;
  }

  async patch<T extends KubeObject>(
    r: ApiResource, ns: Ns, name: string, type: PatchType, body: string | object,
    o: PatchOptions = {},
  ): Promise<T> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const opts = { ...writeOpts(o), ...(o.force !== undefined ? { force: o.force } : {}) };
    const out = await this.reg.patch(this.ctx(o), info(r), ns, name, type, text, opts);
    return copy(out.object) as T;
  }

  async delete<T extends KubeObject>(r: ApiResource, ns: Ns, name: string, o: DeleteOptions = {}):
    Promise<DeleteResult<T>> {
    const { timeoutMs: _t, traceparent: _p, fence: _f, ...opts } = o;
    const out = await this.reg.delete(this.ctx(o), info(r), ns, name, opts);
    return { object: copy(out.object) as T, deleted: out.deleted };
  }

  async bind(ns: string, pod: string, nodeName: string, o: CallOptions = {}): Promise<void> {
    await this.reg.bind(this.ctx(o), ns, pod, nodeName);
  }

  private ctx(o: CallOptions): RequestContext {
    return { user: this.user, ...(o.fence ? { fence: o.fence } : {}) };
  }
}

function info(r: ApiResource): ResourceInfo {
  const found = findResource(r.group, r.version, r.resource);
  if (!found) throw notFound({ group: r.group, resource: r.resource }, '');
  return found;
}

function writeOpts(o: WriteOptions) {
  return {
    ...(o.fieldManager !== undefined ? { fieldManager: o.fieldManager } : {}),
    ...(o.dryRun !== undefined ? { dryRun: o.dryRun } : {}),
    ...(o.fieldValidation !== undefined ? { fieldValidation: o.fieldValidation } : {}),
    ...(o.subresource !== undefined ? { subresource: o.subresource } : {}),
  };
}

function copy<T>(v: T): T {
  return structuredClone(v);
}

/** EventFeed turns pushed watch events into the ApiWatch async iterable, bounded. */
class EventFeed<T extends KubeObject> implements ApiWatch<T> {
  onStop: () => void = () => {};
  private readonly buffer: WatchEvent<T>[] = [];
  private error: Error | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  push(e: WatchEvent<T>): void {
    if (this.stopped) return;
    if (this.buffer.length >= WATCH_BUFFER_MAX) {
      this.fail(new Error(`in-process watch: more than ${WATCH_BUFFER_MAX} events unread`));
      return;
    }
    this.buffer.push(e);
    this.wake?.();
  }

  fail(err: Error): void {
    this.error ??= err;
    this.onStop();
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.onStop();
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    for (;;) {
      const e = this.buffer.shift();
      if (e !== undefined) {
        yield e;
        continue;
      }
      if (this.stopped) return;
      if (this.error) throw this.error;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
      const why = this.buffer.length > 0 || this.stopped || this.error !== undefined;
      assert(why, 'feed woke for nothing');
    }
  }
}
