/**
 * BoundedMemo remembers values derived from keys that recur (a template's container, a field
 * name, a quantity string, a selector text) but are open-ended in principle (labels, IPs, user
 * input): at most `max` of them, forgotten all at once when full. Clearing rather than evicting
 * one at a time keeps a hit to one Map lookup; a memo refilled after a clear costs one make per
 * key, as the first time did.
 */
export class BoundedMemo<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly max: number) {}

  /** get returns make(key)'s value, made once while remembered (pass a function defined once,
   *  not a closure per call: this sits on hot paths). */
  get(key: K, make: (key: K) => V): V {
    const hit = this.entries.get(key);
    return hit !== undefined ? hit : this.remember(key, make(key));
  }

  /** lookup is the value remembered for key, if any (for a value made from more than the key). */
  lookup(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** remember keeps value for key (clearing the memo first when it is full) and returns it. */
  remember(key: K, value: V): V {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }
}
