/**
 * The objects and writes of the API benchmark: a small valid Pod manifest, and PodPool, which
 * creates pods and updates them with PUT the way a controller does from its informer cache — the
 * full object as last returned by the server, one label changed, with its resourceVersion (the
 * optimistic-concurrency precondition). A pod is never updated twice at once, so a 409 Conflict
 * means the server lost or reordered a write, not that the benchmark raced itself.
 */
import type { ApiClient } from './api-client.js';

/** PodObject is the part of a Pod the benchmark reads back. */
export interface PodObject {
  metadata: {
    name: string;
    namespace: string;
    resourceVersion: string;
    labels?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** WriteAck is one write's answer: the HTTP status and, on success, the object's revision. */
export interface WriteAck {
  status: number;
  resourceVersion?: string;
}

/** podManifest is a minimal valid Pod (defaults fill the rest, ~1.5 KB stored). */
export function podManifest(namespace: string, name: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'bench', 'bench-seq': '0' } },
    spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
  };
}

export function namespaceManifest(name: string): object {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

/** PodPool holds the latest version of the pods it created (bounded by what it creates). */
export class PodPool {
  /** Latest object per pod, in creation order (index = position in `names`). */
  private readonly latest = new Map<string, PodObject>();
  private readonly names: string[] = [];
  private readonly busy = new Set<string>();
  private nextUpdate = 0;
  private seq = 0;

  constructor(private readonly client: ApiClient, readonly namespace: string) {}

  get size(): number {
    return this.names.length;
  }

  /** name returns the i-th pod created (modulo the pool's size). */
  name(i: number): string {
    if (this.names.length === 0) throw new Error(`PodPool ${this.namespace}: empty`);
    return this.names[i % this.names.length]!;
  }

  /** create POSTs a new pod and remembers the answer. */
  async create(name: string): Promise<WriteAck> {
    const path = `/api/v1/namespaces/${this.namespace}/pods`;
    const res = await this.client.request('POST', path, podManifest(this.namespace, name));
    if (res.status !== 201) return { status: res.status };
    const obj = JSON.parse(res.body.toString('utf8')) as PodObject;
    this.latest.set(name, obj);
    this.names.push(name);
    return { status: res.status, resourceVersion: obj.metadata.resourceVersion };
  }

  /** update PUTs the next idle pod (round-robin) with its bench-seq label bumped; status 0 and
   *  no request when every pod has an update in flight. */
  async update(): Promise<WriteAck> {
    const name = this.takeIdle();
    if (name === undefined) return { status: 0 };
    try {
      const cur = this.latest.get(name)!;
      const labels = { ...cur.metadata.labels, 'bench-seq': String(++this.seq) };
      const body = { ...cur, metadata: { ...cur.metadata, labels } };
      const path = `/api/v1/namespaces/${this.namespace}/pods/${name}`;
      const res = await this.client.request('PUT', path, body);
      if (res.status !== 200) return { status: res.status };
      const obj = JSON.parse(res.body.toString('utf8')) as PodObject;
      this.latest.set(name, obj);
      return { status: res.status, resourceVersion: obj.metadata.resourceVersion };
    } finally {
      this.busy.delete(name);
    }
  }

  private takeIdle(): string | undefined {
    for (let tries = 0; tries < this.names.length; tries++) {
      const name = this.names[this.nextUpdate++ % this.names.length]!;
      if (this.busy.has(name)) continue;
      this.busy.add(name);
      return name;
    }
    return undefined;
  }
}
