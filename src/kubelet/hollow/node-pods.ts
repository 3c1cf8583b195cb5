/**
 * NodePodViews: one pods informer shared by every hollow kubelet of a process, cut into one view
 * per node. A real kubelet watches its own pods (fieldSelector spec.nodeName=<node>); a thousand
 * hollow kubelets doing so would hold a thousand watches open on the API servers and get every
 * pod decoded a thousand times. Here one watch of all bound pods feeds one cache, indexed by
 * node, and each event goes only to the view of the node it concerns. A pod that moves between
 * nodes (it cannot, once bound; a relist may still show it) leaves the old view with a delete
 * and enters the new one with an add.
 */
import type { Pod } from '../../api/core/v1/pod-types.js';
import { assert } from '../../base/assert.js';
import type { EventHandlers, IndexFunc, Informer, Lister } from '../../client/cache/types.js';

/** NODE_INDEX: the shared cache's index of pods by spec.nodeName. */
export const NODE_INDEX = 'hollow.nodeName';

/** BOUND_PODS: the shared informer's field selector — every pod bound to some node. */
export const BOUND_PODS = 'spec.nodeName!=';

function nodeOf(p: Pod): string {
  return p.spec?.nodeName ?? '';
}

/** NodePodViews demultiplexes one pods informer into per-node informers. */
export class NodePodViews {
  private readonly views = new Map<string, NodePodView>();

  /** shared must not be started yet (the node index is added here). */
  constructor(private readonly shared: Informer<Pod>) {
    shared.addIndex(NODE_INDEX, (p) => [nodeOf(p)]);
    shared.addHandlers({
      add: (p) => this.views.get(nodeOf(p))?.emit('add', p),
      update: (old, p) => {
        const from = nodeOf(old);
        const to = nodeOf(p);
        if (from === to) {
          this.views.get(to)?.emit('update', p, old);
          return;
        }
        this.views.get(from)?.emit('delete', old);
        this.views.get(to)?.emit('add', p);
      },
      delete: (p) => this.views.get(nodeOf(p))?.emit('delete', p),
    });
  }

  /** viewOf: the informer of node's pods (one per node, made on first request). */
  viewOf(node: string): Informer<Pod> {
    assert(node !== '', 'NodePodViews: a node name is required');
    let v = this.views.get(node);
    if (v === undefined) {
      v = new NodePodView(this.shared, node);
      this.views.set(node, v);
    }
    return v;
  }
}

type Kind = 'add' | 'update' | 'delete';

/** NodePodView is one node's read-only window on the shared cache. */
class NodePodView implements Informer<Pod> {
  readonly lister: Lister<Pod>;
  private readonly handlers = new Set<EventHandlers<Pod>>();

  constructor(private readonly shared: Informer<Pod>, private readonly node: string) {
    const mine = (): Pod[] => shared.lister.byIndex(NODE_INDEX, node);
    this.lister = {
      get: (ns, name) => {
        const p = shared.lister.get(ns, name);
        return p !== undefined && nodeOf(p) === node ? p : undefined;
      },
      list: (ns, labelSelector) => {
        if (labelSelector === undefined || labelSelector === '') {
          return mine().filter((p) => ns === undefined || p.metadata.namespace === ns);
        }
        const keys = new Set(mine().map((p) => p.metadata.uid));
        return shared.lister.list(ns, labelSelector).filter((p) => keys.has(p.metadata.uid));
      },
      byIndex: (index, value) => shared.lister.byIndex(index, value)
        .filter((p) => nodeOf(p) === node),
    };
  }

  get resource() {
    return this.shared.resource;
  }

  addHandlers(h: EventHandlers<Pod>): () => void {
    this.handlers.add(h);
    for (const p of this.shared.lister.byIndex(NODE_INDEX, this.node)) h.add?.(p);
    return () => {
      this.handlers.delete(h);
    };
  }

  addIndex(name: string, fn: IndexFunc<Pod>): void {
    void fn;
    assert(false, `NodePodView: indexes belong to the shared informer (asked for ${name})`);
  }

  hasSynced(): boolean {
    return this.shared.hasSynced();
  }

  lastSyncResourceVersion(): string {
    return this.shared.lastSyncResourceVersion();
  }

  /** emit hands one event of this node's pods to every handler, in registration order. */
  emit(kind: Kind, p: Pod, old?: Pod): void {
    for (const h of this.handlers) {
      if (kind === 'add') h.add?.(p);
      else if (kind === 'delete') h.delete?.(p);
      else h.update?.(old ?? p, p);
    }
  }
}
