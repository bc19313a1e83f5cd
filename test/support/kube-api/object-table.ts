// The test server's "etcd": objects per storage, one global resourceVersion counter, and a bounded
// history of changes from which watches replay and paginated lists read consistent snapshots.
// `horizon` is the oldest resourceVersion the history can still serve; anything older is 410 Expired.
import type { JsonObject } from './resources.ts';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  rv: number;
  storage: string;
  type: ChangeType;
  /** The object after the change; for DELETED, the last state with the deletion's resourceVersion. */
  object: JsonObject;
  /** The object before the change (undefined for ADDED). */
  prev: JsonObject | undefined;
}

export function objectKey(obj: JsonObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
}

export class ObjectTable {
  private rv = 0;
  private readonly stores = new Map<string, Map<string, JsonObject>>();
  private history: Change[] = [];
  private readonly historyLimit: number;
  private readonly listeners = new Set<(change: Change) => void>();
  horizon = 0;

  constructor(historyLimit: number) {
    this.historyLimit = historyLimit;
  }

  currentRv(): number {
    return this.rv;
  }

  private store(storage: string): Map<string, JsonObject> {
    let s = this.stores.get(storage);
    if (!s) this.stores.set(storage, (s = new Map()));
    return s;
  }

  get(storage: string, namespace: string | undefined, name: string): JsonObject | undefined {
    const obj = this.store(storage).get(`${namespace ?? ''}/${name}`);
    return obj && structuredClone(obj);
  }

  /**
   * Objects sorted by namespace/name (etcd key order), as of `atRv` (default: now). With `page`, only the
   * first `limit` objects that `pick` accepts (it sees the stored objects, uncloned) are cloned, and
   * `rest.count` counts the others: a page of a big list costs its own size, as in the real server's
   * watch cache.
   */
  list(storage: string, atRv?: number, page?: { pick: (stored: JsonObject) => boolean; limit: number; rest?: { count: number } }): JsonObject[] {
    const current = new Map(this.store(storage));
    if (atRv !== undefined && atRv < this.rv) {
      if (atRv < this.horizon) throw new RangeError(`resourceVersion ${atRv} is older than ${this.horizon}`);
      for (let i = this.history.length - 1; i >= 0 && this.history[i]!.rv > atRv; i--) {
        const change = this.history[i]!;
        if (change.storage !== storage) continue;
        if (change.prev) current.set(objectKey(change.prev), change.prev);
        else current.delete(objectKey(change.object));
      }
    }
    const sorted = [...current.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (page === undefined) return sorted.map(([, o]) => structuredClone(o));
    const out: JsonObject[] = [];
    for (const [, o] of sorted) {
      if (!page.pick(o)) continue;
      if (out.length < page.limit) out.push(structuredClone(o));
      else if (page.rest) page.rest.count++;
      else break;
    }
    return out;
  }

  /** Changes of one storage after `rv`, oldest first. */
  changesSince(storage: string, rv: number): Change[] {
    return this.history.filter((c) => c.rv > rv && c.storage === storage);
  }

  /** Stores `obj` with the next resourceVersion (set in obj.metadata) and tells the watchers. */
  put(storage: string, obj: JsonObject): JsonObject {
    const key = objectKey(obj);
    const prev = this.store(storage).get(key);
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    this.store(storage).set(key, stored);
    this.record({ rv: this.rv, storage, type: prev ? 'MODIFIED' : 'ADDED', object: stored, prev });
    return structuredClone(stored);
  }

  delete(storage: string, namespace: string | undefined, name: string): JsonObject | undefined {
    const key = `${namespace ?? ''}/${name}`;
    const prev = this.store(storage).get(key);
    if (!prev) return undefined;
    this.store(storage).delete(key);
    const last = structuredClone(prev);
    last.metadata.resourceVersion = String(++this.rv);
    this.record({ rv: this.rv, storage, type: 'DELETED', object: last, prev });
    return structuredClone(last);
  }

  /** Forgets the history: watches and continue tokens from before now get 410 Expired. */
  compact(): void {
    this.history = [];
    this.horizon = this.rv;
  }

  onChange(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.horizon = dropped.rv;
    }
    for (const listener of this.listeners) listener(change);
  }
}
