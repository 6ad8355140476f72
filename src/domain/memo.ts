/**
 * Results of a pure computation, kept by key for the next caller (rendered Markdown, a day's bar, a zone's
 * midnight, a parsed header): `memo.get(key) ?? memo.remember(key, compute())`, which allocates nothing on a hit.
 * Past `max` entries everything is forgotten at once: simpler than LRU bookkeeping, and the working set (what the
 * current pages show) comes back in one render. The bound only guards a long-running process against keys that
 * never recur.
 */
export class BoundedMemo<V> {
  readonly #entries = new Map<string, V>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  remember(key: string, value: V): V {
    if (this.#entries.size >= this.#max) this.#entries.clear();
    this.#entries.set(key, value);
    return value;
  }
}
