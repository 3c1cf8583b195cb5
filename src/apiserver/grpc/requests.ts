/**
 * Decoding component API requests into registry arguments, with the same 4xx Status the REST
 * face gives for the same mistake: bodies go through the REST face's own decoder (so bad JSON is
 * the same 400 "the request body is not valid JSON: ..."), unknown resources are the router's
 * 404, and option values are checked with the REST handler's wording. Rules about objects stay in
 * the registry; this file only turns wire fields into typed arguments.
 */
import {
  badRequest,
  unknownPath,
  methodNotAllowed,
  StatusError,
  tooLarge,
} from '../../api/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { assert } from '../../base/assert.js';
import { findResource, type ResourceInfo, type Verb } from '../../api/resources.js';
import type {
  DeleteOptions,
  ListOptions,
  WriteOptions,
  WriteSubresource,
} from '../registry/types.js';
import {
  fieldManager,
  fieldValidation,
  propagationPolicy,
  resourceVersionMatch,
} from '../registry/options.js';
import { decodeObject, MAX_BODY_BYTES } from '../rest/body.js';

export { patchType } from '../registry/options.js';

/** Target is the part every request shares: which resource, where, and (maybe) which object. */
export interface Target {
  group: string;
  version: string;
  resource: string;
  namespace: string;
  name?: string;
  subresource?: string;
}

/** Resolved is a Target checked against the resource table. */
export interface Resolved {
  r: ResourceInfo;
  /** undefined for cluster-scoped resources and for "every namespace" lists and watches. */
  ns: string | undefined;
  name: string;
  sub: WriteSubresource | undefined;
}

/** notFoundResource is the router's 404 for a path that names no served resource. */
function notFoundResource(): StatusError {
  return unknownPath();
}

/**
 * resolve checks a target for a verb: the resource exists in the table (else 404, as an unknown
 * URL), a namespaced object is named with its namespace and a cluster-scoped one without (the
 * URL shapes REST accepts), an object verb has a name, and the subresource is one the verb can
 * reach through the registry (status, scale; finalize for update only, as its discovery says).
 */
export function resolve(t: Target, verb: Verb): Resolved {
  const r = findResource(t.group, t.version, t.resource);
  if (!r) throw notFoundResource();
  if (!r.verbs.includes(verb)) throw notAllowed();
  if (!r.namespaced && t.namespace !== '') throw notFoundResource();
  const collection = verb === 'list' || verb === 'watch';
  if (r.namespaced && !collection && t.namespace === '') {
    throw badRequest(`a namespace is required for ${r.resource}`);
  }
  const name = t.name ?? '';
  if (!collection && verb !== 'create' && name === '') {
    throw badRequest('resource name may not be empty');
  }
  const ns = t.namespace === '' ? undefined : t.namespace;
  return { r, ns, name, sub: subresourceOf(r, t.subresource ?? '', verb) };
}

/** readSubresource narrows a get's subresource: finalize has no get (resolve refused it). */
export function readSubresource(sub: WriteSubresource | undefined): 'status' | 'scale' | undefined {
  assert(sub !== 'finalize', 'resolve let a get of namespaces/finalize through');
  return sub;
}

function subresourceOf(r: ResourceInfo, sub: string, verb: Verb): WriteSubresource | undefined {
  if (sub === '') return undefined;
  const info = r.subresources.find((s) => s.name === sub);
  if (!info) throw notFoundResource();
  if (sub === 'status' || sub === 'scale') return sub;
  if (sub === 'finalize' && info.verbs.includes(verb)) return sub;
  throw notAllowed();
}

function notAllowed(): StatusError {
  return methodNotAllowed('the server does not allow this method on the requested resource');
}

/** WireListOptions are ListRequest's option fields. */
export interface WireListOptions {
  labelSelector: string;
  fieldSelector: string;
  resourceVersion: string;
  resourceVersionMatch: string;
  limit: number;
  continue: string;
}

/** listOptions checks the list fields with the REST handler's messages. */
export function listOptions(q: WireListOptions): ListOptions {
  const m = resourceVersionMatch(q.resourceVersionMatch);
  if (q.limit < 0) throw badRequest(`invalid value for limit: ${q.limit}: must be non-negative`);
  return {
    ...(q.labelSelector !== '' ? { labelSelector: q.labelSelector } : {}),
    ...(q.fieldSelector !== '' ? { fieldSelector: q.fieldSelector } : {}),
    ...(q.resourceVersion !== '' ? { resourceVersion: q.resourceVersion } : {}),
    ...(m !== undefined ? { resourceVersionMatch: m } : {}),
    ...(q.limit > 0 ? { limit: q.limit } : {}),
    ...(q.continue !== '' ? { continue: q.continue } : {}),
  };
}

/** bindTarget checks a Bind request: a namespaced pod name and a node, as pods/binding needs. */
export function bindTarget(q: { namespace: string; pod: string; nodeName: string }): {
  namespace: string;
  pod: string;
  nodeName: string;
} {
  // A pod named in its namespace, checked as any single-object verb checks its target.
  const pod = { group: '', version: 'v1', resource: 'pods', namespace: q.namespace, name: q.pod };
  resolve(pod, 'get');
  if (q.nodeName === '') throw badRequest('Binding.target.name: Required value');
  return q;
}

/** decodeBody decodes object_json exactly as the REST face decodes an application/json body. */
export function decodeBody(bytes: Uint8Array): KubeObject {
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge(MAX_BODY_BYTES);
  return decodeObject(asBuffer(bytes), 'application/json');
}

/** WireWriteOptions are the write option fields every write request carries. */
export interface WireWriteOptions {
  fieldManager: string;
  dryRun: boolean;
  fieldValidation: string;
}

/** writeOptions checks the write options with the REST handler's messages. */
export function writeOptions(
  w: WireWriteOptions,
  sub: WriteSubresource | undefined,
): WriteOptions {
  const fv = fieldValidation(w.fieldValidation);
  const manager = fieldManager(w.fieldManager);
  return {
    ...(manager !== undefined ? { fieldManager: manager } : {}),
    ...(w.dryRun ? { dryRun: true } : {}),
    ...(fv !== undefined ? { fieldValidation: fv } : {}),
    ...(sub ? { subresource: sub } : {}),
  };
}

/** patchBody is the patch document as text, bounded as a REST body is. */
export function patchBody(bytes: Uint8Array): string {
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge(MAX_BODY_BYTES);
  return asBuffer(bytes).toString('utf8');
}

/** asBuffer views the bytes ts-proto decoded without copying them. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** WireDeleteOptions are DeleteRequest's option fields. */
export interface WireDeleteOptions {
  gracePeriodSeconds?: number | undefined;
  propagationPolicy: string;
  preconditionUid?: string | undefined;
  preconditionResourceVersion?: string | undefined;
  dryRun: boolean;
}

/** deleteOptions checks DeleteOptions as the REST handler does. */
export function deleteOptions(d: WireDeleteOptions): DeleteOptions {
  const p = propagationPolicy(d.propagationPolicy);
  if (d.gracePeriodSeconds !== undefined && !Number.isSafeInteger(d.gracePeriodSeconds)) {
    const v = d.gracePeriodSeconds;
    throw badRequest(`invalid value for gracePeriodSeconds: ${v}: must be an integer`);
  }
  const uid = d.preconditionUid;
  const rv = d.preconditionResourceVersion;
  const pre = {
    ...(uid !== undefined ? { uid } : {}),
    ...(rv !== undefined ? { resourceVersion: rv } : {}),
  };
  return {
    ...(d.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: d.gracePeriodSeconds } : {}),
    ...(p !== undefined ? { propagationPolicy: p } : {}),
    ...(Object.keys(pre).length > 0 ? { preconditions: pre } : {}),
    ...(d.dryRun ? { dryRun: true } : {}),
  };
}

/** jsonBytes encodes a response object as the REST face would write it. */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
