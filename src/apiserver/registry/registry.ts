/**
 * Registry: the API server's one implementation of ApiRegistry. Every write goes the same way —
 * decode (done by the face) → check kind and namespace → defaults → server-owned metadata →
 * validation → admission (namespace exists and is not terminating, service addresses) → store
 * transaction — and every read and watch goes through the Storage and its watch cache. The REST
 * face and the component gRPC face both call this class, so both enforce identical rules.
 *
 * Pure rules live beside it (object-meta.ts, deletion.ts, scale.ts, the strategies in
 * src/api); this file only sequences them around storage calls.
 */
import {
  badRequest,
  conflict,
  invalid,
  isStatusError,
  notFound,
  STALE_OBJECT_MESSAGE,
} from '../../api/errors.js';
import { apiVersionOf, isJsonObject, type JsonValue, type KubeList, type KubeObject } from '../../api/meta.js';
import { findResource, type ResourceInfo } from '../../api/resources.js';
import type { KindStrategy } from '../../api/strategy.js';
import { strategyFor } from '../../api/strategies.js';
import { RecentMemo, shareStored } from '../storage/shared-views.js';
import type { Storage, StorageWatchEvent, Watch, WriteConditions } from '../storage/types.js';
import { writeConditions } from './fence.js';
import { finishedFinalizing, planDelete } from './deletion.js';
import { listPrefix, objectKey } from './keys.js';
import {
  generatedName,
  prepareCreateMeta,
  prepareUpdateMeta,
  rfc3339,
} from './object-meta.js';
import { cloneJson, jsonEqual } from '../../api/patch/json.js';
import { fieldManagerRequired } from '../../api/apply/index.js';
import { managerOfUserAgent } from './manager-name.js';
import { applyPatchBody, isApplyPatch, recordManagedUpdate, serverSideApply } from './patching.js';
import { NamespaceLifecycle } from './namespace-lifecycle.js';
import { compileWatchFilter } from './predicate.js';
import { replicasFromScale, toScale } from './scale.js';
import { ServiceAddresses } from './services.js';
import { unknownFieldMessage, unknownFields } from '../../api/schema/unknown-fields.js';
import { parseYaml } from '../../api/text-codec.js';
import type {
  ApiRegistry,
  FieldValidation,
  DeleteOptions,
  DeleteResult,
  ListOptions,
  PatchType,
  RequestContext,
  WatchOptions,
  WriteOptions,
  WriteResult,
  WriteSubresource,
} from './types.js';

/** RegistryOptions wires the registry to its edges. */
export interface RegistryOptions {
  storage: Storage;
  /** Wall-clock milliseconds (timestamps, deletion deadlines). */
  wallMs: () => number;
  /** A fresh RFC 4122 uid per object. */
  newUid: () => string;
  /** Uniform [0, 1) for generateName suffixes. */
  random: () => number;
  services: ServiceAddresses;
  /**
   * Events live this long (kube-apiserver's --event-ttl, default 1 h): their creates and
   * updates put them under a store lease. Absent: Events are kept until deleted.
   */
  eventTtlSeconds?: number;
}

/** Registry implements ApiRegistry over a Storage. */
export class Registry implements ApiRegistry {
  private readonly namespaces: NamespaceLifecycle;

  constructor(private readonly o: RegistryOptions) {
    this.namespaces = new NamespaceLifecycle(o.storage, o.wallMs);
  }

  async get(_ctx: RequestContext, r: ResourceInfo, ns: string | undefined, name: string, sub?: 'status' | 'scale'): Promise<KubeObject> {
    const obj = await this.o.storage.get(objectKey(r, ns, name));
    if (!obj) throw notFound(r, name);
    const full = withType(r, obj);
    return sub === 'scale' ? toScale(full) : full;
  }

  async list(_ctx: RequestContext, r: ResourceInfo, ns: string | undefined, opts: ListOptions): Promise<KubeList> {
    const { predicate, trigger } =
      compileWatchFilter(r, strategy(r), opts.labelSelector, opts.fieldSelector);
    const page = await this.o.storage.list(listPrefix(r, ns), {
      ...(opts.resourceVersion !== undefined ? { resourceVersion: opts.resourceVersion } : {}),
      ...(opts.resourceVersionMatch ? { resourceVersionMatch: opts.resourceVersionMatch } : {}),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      ...(opts.continue ? { continueToken: opts.continue } : {}),
      ...(predicate ? { predicate } : {}),
      ...(trigger ? { trigger } : {}),
    });
    return {
      kind: r.listKind,
      apiVersion: apiVersionOf(r.group, r.version),
      metadata: {
        resourceVersion: page.resourceVersion,
        ...(page.continueToken ? { continue: page.continueToken } : {}),
        ...(page.remainingItemCount !== undefined ? { remainingItemCount: page.remainingItemCount } : {}),
      },
      items: page.items.map((o) => withType(r, o)),
    };
  }

  watch(
    _ctx: RequestContext,
    r: ResourceInfo,
    ns: string | undefined,
    opts: WatchOptions,
    onEvent: (e: StorageWatchEvent) => void,
    onError: (err: Error) => void,
  ): Watch {
    const { predicate, trigger } =
      compileWatchFilter(r, strategy(r), opts.labelSelector, opts.fieldSelector);
    return this.o.storage.watch(
      listPrefix(r, ns),
      {
        ...(opts.resourceVersion !== undefined ? { resourceVersion: opts.resourceVersion } : {}),
        ...(predicate ? { predicate } : {}),
        ...(trigger ? { trigger } : {}),
        bookmarks: opts.allowWatchBookmarks === true,
      },
      (e) => onEvent(e.type === 'BOOKMARK' ? e : { ...e, object: sharedTyped(r, e.object) }),
      onError,
    );
  }

  async create(ctx: RequestContext, r: ResourceInfo, ns: string | undefined, body: KubeObject, opts: WriteOptions): Promise<WriteResult> {
    const warnings = checkFields(body, opts.fieldValidation);
    const obj = this.admitNew(r, strategy(r), ns, body);
    obj.metadata.managedFields = recordManagedUpdate(undefined, obj, {
      manager: opts.fieldManager ?? managerOfUserAgent(ctx.userAgent),
      apiVersion: apiVersionOf(r.group, r.version),
      nowIso: rfc3339(this.o.wallMs()),
    });
    const w = this.conditions(r, ctx);
    return this.insert(r, ns, obj, { dryRun: opts.dryRun === true, warnings, w });
  }

  /**
   * insert stores an admitted new object: its namespace must be live, its Service addresses are
   * claimed first and released again if the store refuses the create (a lost fence included).
   */
  private async insert(r: ResourceInfo, ns: string | undefined, obj: KubeObject, o: InsertOptions): Promise<WriteResult> {
    const { dryRun, warnings } = o;
    if (r.namespaced) await this.namespaces.requireLive(ns ?? '');
    if (dryRun) return { object: withType(r, obj), created: true, warnings };
    const release = await this.o.services.allocate(r, obj);
    try {
      const key = objectKey(r, ns, obj.metadata.name ?? '');
      const stored = await this.o.storage.create(key, obj, o.w);
      return { object: typedView(r, stored), created: true, warnings };
    } catch (err) {
      await release();
      throw err;
    }
  }

  /** admitNew runs the pure create rules; returns a fresh object ready to store. */
  private admitNew(r: ResourceInfo, s: KindStrategy, ns: string | undefined, body: KubeObject): KubeObject {
    checkType(r, body);
    const obj = cloneJson(body);
    obj.metadata ??= {};
    checkNamespace(r, ns, obj);
    if (!obj.metadata.name && obj.metadata.generateName) {
      obj.metadata.name = generatedName(obj.metadata.generateName, this.o.random);
    }
    // The uid comes first: a Job's generated selector is made from it.
    prepareCreateMeta(obj, { uid: this.o.newUid(), nowIso: rfc3339(this.o.wallMs()), hasGeneration: s.specFields.length > 0 });
    s.applyDefaults(obj);
    s.prepareForCreate?.(obj);
    const errs = s.validate(obj);
    if (errs.length > 0) throw invalid(r.kind, r.group, obj.metadata.name ?? '', errs);
    return withType(r, obj);
  }

  async update(ctx: RequestContext, r: ResourceInfo, ns: string | undefined, name: string, body: KubeObject, opts: WriteOptions): Promise<WriteResult> {
    if (opts.subresource === 'scale') {
      const replicas = replicasFromScale(body, name);
      const rv = body.metadata?.resourceVersion;
      const res = await this.write(ctx, r, ns, name, opts, (cur) => {
        if (rv && rv !== cur.metadata.resourceVersion) throw conflict(r, name, STALE_OBJECT_MESSAGE);
        return { ...cur, spec: { ...(cur.spec as object), replicas } };
      });
      return { ...res, object: toScale(res.object) };
    }
    checkType(r, body);
    if (body.metadata?.name !== undefined && body.metadata.name !== name) {
      throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    const warnings = checkFields(body, opts.fieldValidation);
    const replace = (cur: KubeObject): KubeObject => {
      const rv = body.metadata?.resourceVersion;
      if (rv && rv !== cur.metadata.resourceVersion) throw conflict(r, name, STALE_OBJECT_MESSAGE);
      // A uid in the body is a precondition, as upstream's update takes it: an update meant for
      // an object that was deleted and recreated under the same name must not land on the new one.
      const uid = body.metadata?.uid;
      if (uid && uid !== cur.metadata.uid) {
        throw conflict(r, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${cur.metadata.uid ?? ''}`);
      }
      // A status write keeps only the body's status (updated()): copy just that.
      if (opts.subresource === 'status') return { ...body, status: cloneJson(body.status) };
      return cloneJson({ ...body, metadata: { ...(body.metadata ?? {}), name, ...(ns ? { namespace: ns } : {}) } });
    };
    const change = opts.subresource === 'finalize' ? finalizeChange(r, name, body) : replace;
    // replace builds its result from the body and only reads the current object, so write may
    // hand it the current object itself instead of a copy (a pod's deep copy per status write).
    const readsOnly = change === replace;
    return this.write(ctx, r, ns, name, { ...opts, readsOnly }, change).then((res) => ({ ...res, warnings: [...warnings, ...res.warnings] }));
  }

  async patch(
    ctx: RequestContext,
    r: ResourceInfo,
    ns: string | undefined,
    name: string,
    type: PatchType,
    body: string,
    opts: WriteOptions & { force?: boolean },
  ): Promise<WriteResult> {
    if (isApplyPatch(type)) return this.apply(ctx, r, ns, name, body, opts);
    const warnings: string[] = [];
    return this.write(ctx, r, ns, name, opts, (cur) => {
      const view = opts.subresource === 'scale' ? toScale(cur) : cur;
      const patched = applyPatchBody({ group: r.group, kind: view.kind ?? r.kind }, view, type, body);
      if (opts.subresource === 'scale') {
        const replicas = replicasFromScale(patched, name);
        return { ...cur, spec: { ...(cur.spec as object), replicas } };
      }
      const rv = patched.metadata?.resourceVersion;
      if (rv && rv !== cur.metadata.resourceVersion) throw conflict(r, name, STALE_OBJECT_MESSAGE);
      warnings.splice(0, warnings.length, ...checkFields(patched, opts.fieldValidation));
      return patched;
    }).then((res) => ({
      ...res,
      warnings: [...warnings, ...res.warnings],
      ...(opts.subresource === 'scale' ? { object: toScale(res.object) } : {}),
    }));
  }

  /** apply is server-side apply: create when absent, else merge the applied fields it owns. */
  private async apply(ctx: RequestContext, r: ResourceInfo, ns: string | undefined, name: string, body: string, opts: WriteOptions & { force?: boolean }): Promise<WriteResult> {
    const manager = opts.fieldManager;
    if (!manager) throw fieldManagerRequired();
    const applied = parseYaml(body);
    if (!isJsonObject(applied)) throw badRequest('the applied configuration must be an object');
    checkFields(applied as unknown as KubeObject, opts.fieldValidation ?? 'Strict');
    const applyTo = (live: KubeObject | undefined): KubeObject => serverSideApply({
      live,
      applied,
      manager,
      force: opts.force === true,
      apiVersion: apiVersionOf(r.group, r.version),
      nowIso: rfc3339(this.o.wallMs()),
      kind: { group: r.group, kind: r.kind },
    });
    if (!(await this.o.storage.get(objectKey(r, ns, name)))) {
      const fresh = applyTo(undefined);
      fresh.metadata.name ??= name;
      const obj = this.admitNew(r, strategy(r), ns, fresh);
      obj.metadata.managedFields = fresh.metadata.managedFields;
      try {
        const w = this.conditions(r, ctx);
        return await this.insert(r, ns, obj, { dryRun: opts.dryRun === true, warnings: [], w });
      } catch (err) {
        // A concurrent creator won: apply onto what it wrote instead.
        if (!(isStatusError(err) && err.reason === 'AlreadyExists')) throw err;
      }
    }
    return this.write(ctx, r, ns, name, { ...opts, fieldManager: undefined, applied: true }, applyTo);
  }

  /**
   * write is every update path (PUT, PATCH, status, scale, finalize): read-modify-write in one
   * store transaction, retried by storage on a concurrent write, with the update rules applied
   * to whatever `change` produced from the current object. The request's fence rides in the
   * same transaction; a Lease's fence record changes with it when its holder does.
   */
  private async write(
    ctx: RequestContext,
    r: ResourceInfo,
    ns: string | undefined,
    name: string,
    opts: WriteOptions & { applied?: boolean; readsOnly?: boolean },
    change: (current: KubeObject) => KubeObject,
  ): Promise<WriteResult> {
    const s = strategy(r);
    const key = objectKey(r, ns, name);
    const apiVersion = apiVersionOf(r.group, r.version);
    let result: KubeObject | undefined;
    let removed = false;
    const compute = (current: KubeObject): KubeObject => {
      const cur = withType(r, current);
      // change gets its own copy unless it only reads (readsOnly): then nothing it returns
      // shares the current object's parts, which must stay as they are for the comparisons below.
      const proposed = change(opts.readsOnly === true ? cur : cloneJson(cur));
      const next = this.updated(r, s, cur, proposed, opts.subresource);
      // Server-side apply keeps its own managedFields; every other write records an Update.
      // An unnamed writer's write that changes nothing records nothing, and a write that
      // changes nothing moves no manager's time (as upstream: then nothing is stored at all).
      // The stored object carries its resourceVersion and next does not (updated() drops it):
      // both comparisons see the stored object without it, or no write would ever be a no-op.
      // Structural equality (stops at the first difference) rather than two whole-object JSON
      // strings: a kubelet's status write names no manager and paid both for every pod status.
      const before = { ...cur, metadata: { ...cur.metadata, resourceVersion: undefined } };
      if (!opts.applied && (opts.fieldManager !== undefined ||
        !jsonEqual(next as unknown as JsonValue, before as unknown as JsonValue))) {
        next.metadata.managedFields = recordManagedUpdate(before, next, {
          manager: opts.fieldManager ?? managerOfUserAgent(ctx.userAgent),
          apiVersion,
          nowIso: rfc3339(this.o.wallMs()),
          ...(recordsSubresource(opts.subresource) ? { subresource: opts.subresource } : {}),
        });
      }
      return next;
    };
    if (opts.dryRun) {
      const cur = await this.o.storage.get(key);
      if (!cur) throw notFound(r, name);
      return { object: withType(r, compute(cur)), created: false, warnings: [] };
    }
    try {
      result = await this.o.storage.guaranteedUpdate(key, (current) => {
        const next = compute(current);
        removed = finishedFinalizing(next, r.kind);
        return next;
      }, this.conditions(r, ctx));
    } catch (err) {
      if (isStatusError(err) && err.reason === 'NotFound') throw notFound(r, name);
      throw err;
    }
    if (removed) {
      const last = await this.removeFinalized(r, key, result);
      return { object: withType(r, last), created: false, warnings: [] };
    }
    return { object: typedView(r, result), created: false, warnings: [] };
  }

  /**
   * updated applies the common update rules to a proposed new object. The status and finalize
   * subresources skip the strategy's prepareForUpdate: their change was built from the current
   * object and touches only what they own (status; a namespace's spec.finalizers).
   */
  private updated(r: ResourceInfo, s: KindStrategy, cur: KubeObject, proposed: KubeObject, sub: WriteSubresource | undefined): KubeObject {
    const status = sub === 'status';
    let next: KubeObject;
    if (status) {
      // The status subresource changes status only (and nothing else, as upstream). The
      // current status is replaced, so it is not copied; nor is the rest: storage decodes the
      // current object afresh for each attempt (it is this write's own), the spec is kept as
      // stored (defaulting an already defaulted spec changes nothing), and only metadata, which
      // the rules below set, is copied.
      const { status: _replaced, ...rest } = cur;
      next = { ...rest, metadata: { ...cur.metadata }, status: proposed.status };
    } else {
      next = proposed;
      next.metadata ??= {};
      if (s.hasStatus) {
        if (cur.status === undefined) delete next.status;
        else next.status = cur.status;
      }
    }
    checkType(r, next);
    next = withType(r, next);
    next.metadata.name = cur.metadata.name;
    if (cur.metadata.namespace !== undefined) next.metadata.namespace = cur.metadata.namespace;
    if (!status && sub !== 'finalize') s.prepareForUpdate?.(next, cur);
    s.applyDefaults(next);
    prepareUpdateMeta(next, cur, status ? [] : s.specFields);
    if (status && cur.metadata.generation !== undefined) next.metadata.generation = cur.metadata.generation;
    next.metadata.resourceVersion = cur.metadata.resourceVersion;
    // A status write keeps the stored spec (above): the kind's status rules check the rest.
    const errs = status && s.validateStatusUpdate !== undefined
      ? s.validateStatusUpdate(next, cur)
      : s.validateUpdate(next, cur);
    if (errs.length > 0) throw invalid(r.kind, r.group, cur.metadata.name ?? '', errs);
    delete next.metadata.resourceVersion;
    return next;
  }

  /**
   * removeFinalized deletes an object whose last finalizer was just removed. It carries no
   * fence: the fenced write that removed the finalizer already passed its check, and this
   * delete is only the server finishing it (refusing it would strand the object).
   */
  private async removeFinalized(r: ResourceInfo, key: string, obj: KubeObject): Promise<KubeObject> {
    const uid = obj.metadata.uid;
    try {
      const last = await this.o.storage.delete(key, (cur) => {
        if (cur.metadata.uid !== uid || !finishedFinalizing(cur, r.kind)) {
          throw conflict(r, obj.metadata.name ?? '', 'the object changed while it was being finalized');
        }
      }, writeConditions(r, undefined));
      await this.o.services.release(r, last);
      return last;
    } catch (err) {
      if (isStatusError(err) && (err.reason === 'NotFound' || err.reason === 'Conflict')) return obj;
      throw err;
    }
  }

  async delete(ctx: RequestContext, r: ResourceInfo, ns: string | undefined, name: string, opts: DeleteOptions): Promise<DeleteResult> {
    const key = objectKey(r, ns, name);
    const w = writeConditions(r, ctx.fence);
    // Creates in it read the store from now on: our cache may not show the deletion yet.
    if (r.group === '' && r.resource === 'namespaces') this.namespaces.deleted(name);
    for (let attempt = 0; attempt < 16; attempt++) {
      const cur = await this.o.storage.get(key);
      if (!cur) throw notFound(r, name);
      checkPreconditions(r, name, cur, opts);
      const plan = planDelete(cur, r.kind, opts, this.o.wallMs());
      if (plan.action === 'none') return { object: withType(r, cur), deleted: false };
      if (opts.dryRun) return { object: withType(r, plan.action === 'update' ? plan.object : cur), deleted: plan.action === 'delete' };
      const rv = cur.metadata.resourceVersion;
      try {
        if (plan.action === 'delete') {
          const last = await this.o.storage.delete(key, (now) => {
            if (now.metadata.resourceVersion !== rv) throw new RetryDelete();
          }, w);
          await this.o.services.release(r, last);
          return { object: withType(r, last), deleted: true };
        }
        const marked = await this.o.storage.guaranteedUpdate(key, (now) => {
          if (now.metadata.resourceVersion !== rv) throw new RetryDelete();
          return plan.object;
        }, w);
        return { object: withType(r, marked), deleted: false };
      } catch (err) {
        if (err instanceof RetryDelete) continue;
        if (isStatusError(err) && err.reason === 'NotFound') throw notFound(r, name);
        throw err;
      }
    }
    throw conflict(r, name, 'too many concurrent writes while deleting; try again');
  }

  /**
   * bind assigns a pending pod to a node (pods/binding). It is its own transaction, not a pod
   * update: a plain update may never set spec.nodeName, and binding twice is a Conflict.
   */
  async bind(ctx: RequestContext, ns: string, pod: string, nodeName: string): Promise<void> {
    const pods = findResource('', 'v1', 'pods');
    if (!pods) throw new Error('pods resource missing');
    const nowIso = rfc3339(this.o.wallMs());
    try {
      await this.o.storage.guaranteedUpdate(objectKey(pods, ns, pod), (cur) => {
        const spec = (cur.spec ?? {}) as { nodeName?: string };
        if (cur.metadata.deletionTimestamp !== undefined) {
          throw conflict(pods, pod, 'pod is being deleted, cannot be assigned to a host');
        }
        if (spec.nodeName) {
          throw conflict(pods, pod, `pod ${pod} is already assigned to node "${spec.nodeName}"`);
        }
        const status = (cur.status ?? {}) as { conditions?: { type: string }[] };
        const conditions: object[] = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
        conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowIso });
        return { ...cur, spec: { ...spec, nodeName }, status: { ...status, conditions } };
      }, writeConditions(pods, ctx.fence));
    } catch (err) {
      if (isStatusError(err) && err.reason === 'NotFound') throw notFound(pods, pod);
      throw err;
    }
  }

  /** conditions: a create's or update's transaction extras — the request's fence, a Lease's
   *  fence record, an Event's TTL (upstream's TTLFunc of events). */
  private conditions(r: ResourceInfo, ctx: RequestContext): WriteConditions {
    const w = writeConditions(r, ctx.fence);
    const ttl = this.o.eventTtlSeconds;
    if (ttl !== undefined && r.group === '' && r.resource === 'events') w.ttlSeconds = ttl;
    return w;
  }
}

class RetryDelete extends Error {}

/** recordsSubresource: managedFields entries of these writes name their subresource. */
function recordsSubresource(sub: WriteSubresource | undefined): sub is 'status' | 'finalize' {
  return sub === 'status' || sub === 'finalize';
}

/** InsertOptions: a create's dry-run flag, warnings so far and transaction extras. */
interface InsertOptions {
  dryRun: boolean;
  warnings: string[];
  w: WriteConditions;
}

/**
 * finalizeChange is namespaces/finalize's change: the body's spec.finalizers onto the current
 * namespace and nothing else from the body (upstream's finalize strategy), checked against the
 * body's resourceVersion when it has one. An empty list is stored as absent (omitempty).
 */
function finalizeChange(
  r: ResourceInfo,
  name: string,
  body: KubeObject,
): (cur: KubeObject) => KubeObject {
  const given = ((body.spec ?? {}) as { finalizers?: unknown }).finalizers ?? [];
  if (!Array.isArray(given) || !given.every((f) => typeof f === 'string')) {
    throw badRequest('spec.finalizers: must be a list of strings');
  }
  const finalizers = given as string[];
  return (cur) => {
    const rv = body.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw conflict(r, name, STALE_OBJECT_MESSAGE);
    const spec: Record<string, unknown> = { ...((cur.spec ?? {}) as object) };
    if (finalizers.length > 0) spec.finalizers = [...finalizers];
    else delete spec.finalizers;
    return { ...cur, spec };
  };
}

/**
 * checkFields enforces fieldValidation against unknown fields: Strict refuses (400), Warn (the
 * server default, as upstream) returns warnings for the Warning header, Ignore does nothing.
 */
function checkFields(obj: KubeObject, fv: FieldValidation | undefined): string[] {
  if (fv === 'Ignore') return [];
  const paths = unknownFields(obj);
  if (paths.length === 0) return [];
  if (fv === 'Strict') throw badRequest(unknownFieldMessage(paths));
  return paths.map((p) => `unknown field "${p}"`);
}

function strategy(r: ResourceInfo): KindStrategy {
  return strategyFor(r.group, r.kind);
}

const typedViews = new RecentMemo<{ r: ResourceInfo; typed: KubeObject }>();

/** sharedTyped is withType(r, obj) made once for every watcher of the same cached object (see
 *  storage/shared-views.ts; neither may be changed). */
function sharedTyped(r: ResourceInfo, obj: KubeObject): KubeObject {
  const view = typedViews.get(obj, () => ({ r, typed: typedView(r, obj) }));
  return view.r === r ? view.typed : typedView(r, obj);
}

/** typedView is withType(r, obj), encoding from obj's stored value when it already carried the
 *  same kind and apiVersion (then the two have the same JSON members): a cached object a watch
 *  sends, or the object a write stored, which the write's answer sends. */
function typedView(r: ResourceInfo, obj: KubeObject): KubeObject {
  const typed = withType(r, obj);
  if (typed.kind === obj.kind && typed.apiVersion === obj.apiVersion) shareStored(typed, obj);
  return typed;
}

/** withType sets kind and apiVersion (stored objects carry them; list items must too). */
function withType(r: ResourceInfo, obj: KubeObject): KubeObject {
  return { apiVersion: apiVersionOf(r.group, r.version), kind: r.kind, ...obj, metadata: obj.metadata };
}

/** checkType refuses a body of another kind or group-version, in upstream's words. */
function checkType(r: ResourceInfo, body: KubeObject): void {
  const want = apiVersionOf(r.group, r.version);
  if (body.apiVersion !== undefined && body.apiVersion !== want) {
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${want})`);
  }
  if (body.kind !== undefined && body.kind !== r.kind) {
    throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${r.kind})`);
  }
  if (body.metadata !== undefined && !isJsonObject(body.metadata)) throw badRequest('metadata must be an object');
}

function checkNamespace(r: ResourceInfo, ns: string | undefined, obj: KubeObject): void {
  if (!r.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  const given = obj.metadata.namespace;
  if (given !== undefined && given !== '' && given !== ns) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (ns !== undefined) obj.metadata.namespace = ns;
}

function checkPreconditions(r: ResourceInfo, name: string, cur: KubeObject, o: DeleteOptions): void {
  const p = o.preconditions;
  if (p?.uid !== undefined && p.uid !== cur.metadata.uid) {
    throw conflict(r, name, `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${cur.metadata.uid ?? ''}`);
  }
  if (p?.resourceVersion !== undefined && p.resourceVersion !== cur.metadata.resourceVersion) {
    throw conflict(r, name, `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion ?? ''}`);
  }
}
