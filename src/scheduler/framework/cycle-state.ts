/**
 * CycleState carries what one plugin computed for one pod from one extension point to the next
 * (PreFilter → Filter, PreScore → Score). It lives for one scheduling cycle and is never
 * shared between pods, so plugins themselves stay stateless.
 */

/** StateKey names one plugin's entry and fixes its type. */
export interface StateKey<T> {
  readonly name: string;
  /** Phantom: never set; carries T for read/write. */
  readonly _type?: T;
}

/** stateKey makes a key; one per plugin and extension point, created at module load. */
export function stateKey<T>(name: string): StateKey<T> {
  return { name };
}

/** CycleState is one cycle's plugin data. */
export class CycleState {
  private readonly data = new Map<string, unknown>();

  /** write stores a plugin's value for this cycle. */
  write<T>(key: StateKey<T>, value: T): void {
    this.data.set(key.name, value);
  }

  /** read returns the value written under key, or undefined. */
  read<T>(key: StateKey<T>): T | undefined {
    return this.data.get(key.name) as T | undefined;
  }
}
