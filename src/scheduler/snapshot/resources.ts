/**
 * Resource arithmetic for scheduling, on plain numbers: quantities are parsed once (when a pod
 * is queued or a node changes), never per node checked. cpu is in millicores, every other
 * resource in whole units (bytes, pods, devices), rounded up as upstream's MilliValue/Value do.
 */
import type { ResourceList } from '../../api/core/v1/common-types.js';
import type { Container, Pod } from '../../api/core/v1/pod-types.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import { BoundedMemo } from '../../base/bounded-memo.js';

/** DEFAULT_MILLI_CPU_REQUEST: what a container without a cpu request counts as when scoring
 *  (upstream's schedutil.DefaultMilliCPURequest), so best-effort pods still spread. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** DEFAULT_MEMORY_REQUEST_BYTES: likewise for memory (200 MiB). */
export const DEFAULT_MEMORY_REQUEST_BYTES = 200 * 1024 * 1024;

/** Resources is an amount of every resource the scheduler counts. */
export class Resources {
  milliCpu = 0;
  memory = 0;
  ephemeralStorage = 0;
  /** allowedPods: only meaningful for a node's allocatable ("pods"). */
  allowedPods = 0;
  /** scalars: extended resources and hugepages, by name; null when none (the common case). */
  scalars: Map<string, number> | null = null;

  /** add adds a resource by name (cpu in millicores, others in units). */
  addNamed(name: string, value: number): void {
    switch (name) {
      case 'cpu': this.milliCpu += value; return;
      case 'memory': this.memory += value; return;
      case 'ephemeral-storage': this.ephemeralStorage += value; return;
      case 'pods': this.allowedPods += value; return;
      default: {
        this.scalars ??= new Map();
        this.scalars.set(name, (this.scalars.get(name) ?? 0) + value);
      }
    }
  }

  /** add adds every resource of o (allowedPods included). */
  add(o: Resources): void {
    this.milliCpu += o.milliCpu;
    this.memory += o.memory;
    this.ephemeralStorage += o.ephemeralStorage;
    this.allowedPods += o.allowedPods;
    if (o.scalars !== null) for (const [k, v] of o.scalars) this.addNamed(k, v);
  }

  /** sub subtracts every resource of o. */
  sub(o: Resources): void {
    this.milliCpu -= o.milliCpu;
    this.memory -= o.memory;
    this.ephemeralStorage -= o.ephemeralStorage;
    this.allowedPods -= o.allowedPods;
    if (o.scalars !== null) for (const [k, v] of o.scalars) this.addNamed(k, -v);
  }

  /** setMax raises every resource to at least o's. */
  setMax(o: Resources): void {
    this.milliCpu = Math.max(this.milliCpu, o.milliCpu);
    this.memory = Math.max(this.memory, o.memory);
    this.ephemeralStorage = Math.max(this.ephemeralStorage, o.ephemeralStorage);
    this.allowedPods = Math.max(this.allowedPods, o.allowedPods);
    if (o.scalars === null) return;
    this.scalars ??= new Map();
    for (const [k, v] of o.scalars) this.scalars.set(k, Math.max(this.scalars.get(k) ?? 0, v));
  }

  /** scalar reads one extended resource (0 when absent). */
  scalar(name: string): number {
    return this.scalars?.get(name) ?? 0;
  }
}

/** QUANTITY_CACHE_MAX bounds the parsed-quantity cache (cleared when full). */
const QUANTITY_CACHE_MAX = 4096;
const quantityCache = new BoundedMemo<string, number>(QUANTITY_CACHE_MAX);

/** quantityValue converts a quantity to the scheduler's unit for that resource; 0 if invalid.
 *  Cached: every pod of a Deployment requests the same strings, and parsing is BigInt work. */
export function quantityValue(name: string, raw: unknown): number {
  const cacheKey = `${name === 'cpu' ? 'm' : 'u'}:${String(raw)}`;
  return quantityCache.lookup(cacheKey) ?? quantityCache.remember(cacheKey, parseValue(name, raw));
}

function parseValue(name: string, raw: unknown): number {
  const q = parseQuantity(raw);
  if (typeof q === 'string') return 0;
  const divisor = name === 'cpu' ? 1_000_000n : 1_000_000_000n;
  const whole = q.nanos / divisor;
  const rounded = q.nanos % divisor > 0n ? whole + 1n : whole;
  return Number(rounded);
}

/** resourcesOf converts a ResourceList (a node's allocatable, a container's requests). */
export function resourcesOf(list: ResourceList | undefined): Resources {
  const r = new Resources();
  if (list === undefined) return r;
  for (const [name, raw] of Object.entries(list)) r.addNamed(name, quantityValue(name, raw));
  return r;
}

/** containerRequests: one container's requests; with nonZero, cpu/memory requests that are
 *  missing count as the defaults (scoring only, upstream's NonMissingContainerRequests). */
function containerRequests(c: Container, nonZero: boolean): Resources {
  const requests = c.resources?.requests;
  const r = resourcesOf(requests);
  if (nonZero && requests?.cpu === undefined) r.milliCpu = DEFAULT_MILLI_CPU_REQUEST;
  if (nonZero && requests?.memory === undefined) r.memory = DEFAULT_MEMORY_REQUEST_BYTES;
  return r;
}

/**
 * podRequests is what a pod takes from a node (upstream's resourcehelper.PodRequests): the sum
 * of its containers and sidecars (restartPolicy Always init containers), raised to what any
 * init container needs while it runs (with the sidecars started before it), plus the pod's
 * overhead. nonZero: see containerRequests.
 */
export function podRequests(pod: Pod, nonZero = false): Resources {
  const spec = pod.spec;
  const total = new Resources();
  for (const c of spec?.containers ?? []) total.add(containerRequests(c, nonZero));
  const sidecars = new Resources();
  const initMax = new Resources();
  for (const c of spec?.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      total.add(r);
      sidecars.add(r);
      initMax.setMax(sidecars);
    } else {
      r.add(sidecars);
      initMax.setMax(r);
    }
  }
  total.setMax(initMax);
  if (spec?.overhead !== undefined) total.add(resourcesOf(spec.overhead));
  return total;
}
