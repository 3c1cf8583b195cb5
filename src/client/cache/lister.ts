/**
 * CacheLister reads an Indexer (client-go's generated listers): get by namespace and name, list
 * by namespace (through NAMESPACE_INDEX, not a scan) with an optional label selector, byIndex.
 * Nothing here does I/O; returned objects are the cache's own and must not be mutated.
 */
import type { KubeObject } from '../../api/meta.js';
import { parseLabelSelector, type Selector } from '../../api/selectors/labels.js';
import { BoundedMemo } from '../../base/bounded-memo.js';
import type { Indexer } from './indexer.js';
import { keyFor } from './keys.js';
import { NAMESPACE_INDEX, type Lister } from './types.js';

/** PARSED_SELECTORS_MAX bounds the per-lister cache of parsed selector strings. */
export const PARSED_SELECTORS_MAX = 256;

/** CacheLister implements Lister over an Indexer. */
export class CacheLister<T extends KubeObject> implements Lister<T> {
  private readonly selectors = new BoundedMemo<string, Selector>(PARSED_SELECTORS_MAX);

  constructor(private readonly indexer: Indexer<T>) {}

  get(namespace: string | undefined, name: string): T | undefined {
    return this.indexer.get(keyFor(namespace, name));
  }

  list(namespace?: string, labelSelector?: string): T[] {
    const objs =
      namespace === undefined
        ? this.indexer.list()
        : this.indexer.byIndex(NAMESPACE_INDEX, namespace);
    if (labelSelector === undefined || labelSelector === '') return objs;
    const sel = this.selector(labelSelector);
    return objs.filter((o) => sel.matches(o.metadata.labels));
  }

  byIndex(index: string, value: string): T[] {
    return this.indexer.byIndex(index, value);
  }

  /** selector parses text once; a bad selector throws (SelectorError), as list would. */
  private selector(text: string): Selector {
    return this.selectors.get(text, parseLabelSelector);
  }
}
