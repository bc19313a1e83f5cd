// The control plane's one cache of Kubernetes objects, fed by the sources and read by translate().
//
// Objects are held per origin: a manifest file path for the files source, e.g. "kubernetes" for the API
// source. That lets a source say "these are now all the objects of origin X" (a file was re-read) without
// diffing, and lets two origins define the same object without one silently erasing the other when it
// goes away. Listeners get batched, immutable snapshots (see ChangeBatcher).

import { isDeepStrictEqual } from 'node:util';
import type { AnyKubeObject, Kind } from '../kube/types.ts';
import { objectKey, objectRef } from '../kube/types.ts';
import type { Diagnostic } from '../kube/diagnostic.ts';
import type { ClusterState } from './cluster-state.ts';
import type { BatchOptions } from './change-batcher.ts';
import { ChangeBatcher } from './change-batcher.ts';
import type { OriginContents } from './snapshot.ts';
import { buildClusterState } from './snapshot.ts';

export type StateListener = (state: ClusterState) => void;

/** One object as the store holds it now (merged over origins): undefined when it is gone. */
export interface StoreChange {
  kind: Kind;
  namespace: string | undefined;
  name: string;
  object: AnyKubeObject | undefined;
}

interface Origin extends OriginContents {
  readonly objects: Map<string, AnyKubeObject>;
  diagnostics: readonly Diagnostic[];
}

/**
 * Objects handed to the store must be normalized (normalizeObject) and are frozen in place: the store
 * shares them with every snapshot, so nobody may change them afterwards.
 */
export class ObjectStore {
  readonly #origins = new Map<string, Origin>();
  readonly #batchers = new Set<ChangeBatcher>();
  #snapshot: ClusterState | undefined;
  /** Keys changed since the last takeChanges(). */
  readonly #changedKeys = new Set<string>();
  #sortedOrigins: string[] | undefined;

  /** Makes `objects` and `diagnostics` everything origin holds; an origin with neither is forgotten. */
  replaceOrigin(origin: string, objects: readonly AnyKubeObject[], diagnostics: readonly Diagnostic[]): void {
    const current = this.#origins.get(origin);
    const byKey = new Map<string, AnyKubeObject>();
    const repeated: Diagnostic[] = [];
    for (const object of objects) {
      const key = keyOf(object);
      // Later wins, as when the same document appears twice in one `kubectl apply -f`.
      if (byKey.has(key)) repeated.push(repeatedWarning(object, origin));
      // An object the file still holds unchanged stays the same object: only what changed is a change.
      const held = current?.objects.get(key);
      byKey.set(key, held !== undefined && isDeepStrictEqual(held, object) ? held : deepFreeze(object));
    }
    const allDiagnostics = Object.freeze([...diagnostics, ...repeated]);
    if (current && isDeepStrictEqual(current.objects, byKey) && isDeepStrictEqual(current.diagnostics, allDiagnostics)) return;
    if (!current && byKey.size === 0 && allDiagnostics.length === 0) return;
    if (byKey.size === 0 && allDiagnostics.length === 0) this.#origins.delete(origin);
    else this.#origins.set(origin, { objects: byKey, diagnostics: allDiagnostics });
    this.#sortedOrigins = undefined;
    for (const key of current?.objects.keys() ?? []) if (current!.objects.get(key) !== byKey.get(key)) this.#changedKeys.add(key);
    for (const key of byKey.keys()) if (current?.objects.get(key) !== byKey.get(key)) this.#changedKeys.add(key);
    this.#changed();
  }

  /**
   * Adds or replaces one object of origin. Returns false, and tells no listener, when the object equals
   * what origin holds (normalizeObject() removed what nothing reads, such as status).
   */
  upsert(origin: string, object: AnyKubeObject): boolean {
    const entry = this.#entry(origin);
    const key = keyOf(object);
    if (isDeepStrictEqual(entry.objects.get(key), object)) return false;
    entry.objects.set(key, deepFreeze(object));
    this.#changedKeys.add(key);
    this.#changed();
    return true;
  }

  /** Removes one object of origin; namespace is ignored for cluster-scoped kinds. False when it was not there. */
  remove(origin: string, kind: Kind, namespace: string | undefined, name: string): boolean {
    const entry = this.#origins.get(origin);
    const key = objectKey(kind, namespace, name);
    if (!entry?.objects.delete(key)) return false;
    this.#changedKeys.add(key);
    this.#forgetIfEmpty(origin, entry);
    this.#changed();
    return true;
  }

  /** Replaces the diagnostics of origin, keeping its objects. */
  setOriginDiagnostics(origin: string, diagnostics: readonly Diagnostic[]): void {
    const existing = this.#origins.get(origin);
    if (isDeepStrictEqual(existing?.diagnostics ?? [], diagnostics)) return;
    const entry = existing ?? this.#entry(origin);
    entry.diagnostics = Object.freeze([...diagnostics]);
    this.#forgetIfEmpty(origin, entry);
    this.#changed();
  }

  /** The current objects, merged over origins. The same frozen object until the next change. */
  state(): ClusterState {
    this.#snapshot ??= buildClusterState(this.#origins);
    return this.#snapshot;
  }

  /**
   * The objects changed since the previous call (for the one consumer that follows changes, the
   * control plane's incremental translator), each as it is now. Cheap: no snapshot is built.
   */
  takeChanges(): StoreChange[] {
    const changes: StoreChange[] = [];
    for (const key of this.#changedKeys) {
      const { kind, namespace, name } = parseKey(key);
      changes.push({ kind, namespace, name, object: this.#winner(key) });
    }
    this.#changedKeys.clear();
    return changes;
  }

  /** Every object now, as changes (a consumer's first view). Clears pending changes. */
  takeEverything(): StoreChange[] {
    for (const origin of this.#origins.values()) for (const key of origin.objects.keys()) this.#changedKeys.add(key);
    return this.takeChanges();
  }

  /** The sources' diagnostics and duplicate-definition warnings, as state().sourceDiagnostics. */
  sourceDiagnostics(): readonly Diagnostic[] {
    if (this.#origins.size > 1) return this.state().sourceDiagnostics;
    return this.#origins.values().next().value?.diagnostics ?? [];
  }

  /** The object of objectKey() `key`, merged over origins as state() merges them. */
  get(key: string): AnyKubeObject | undefined {
    return this.#winner(key);
  }

  /** Like subscribe(), without building a snapshot for the listener (it reads takeChanges()). */
  onChange(listener: () => void, options?: BatchOptions): () => void {
    const batcher = new ChangeBatcher(listener, options);
    this.#batchers.add(batcher);
    return () => {
      batcher.cancel();
      this.#batchers.delete(batcher);
    };
  }

  /**
   * Calls listener with state() after changes, batched (see BatchOptions). Returns the unsubscribe
   * function. A listener that throws is treated like a throwing event listener: the error propagates.
   */
  subscribe(listener: StateListener, options?: BatchOptions): () => void {
    const batcher = new ChangeBatcher(() => listener(this.state()), options);
    this.#batchers.add(batcher);
    return () => {
      batcher.cancel();
      this.#batchers.delete(batcher);
    };
  }

  /** Delivers pending changes to every listener now (tests, shutdown, first snapshot at start). */
  flush(): void {
    let failure: { error: unknown } | undefined;
    for (const batcher of this.#batchers) {
      try {
        batcher.flush();
      } catch (error) {
        failure ??= { error }; // the other listeners still get their delivery
      }
    }
    if (failure) throw failure.error;
  }

  #entry(origin: string): Origin {
    let entry = this.#origins.get(origin);
    if (!entry) {
      entry = { objects: new Map(), diagnostics: [] };
      this.#origins.set(origin, entry);
      this.#sortedOrigins = undefined;
    }
    return entry;
  }

  #forgetIfEmpty(origin: string, entry: Origin): void {
    if (entry.objects.size === 0 && entry.diagnostics.length === 0) {
      this.#origins.delete(origin);
      this.#sortedOrigins = undefined;
    }
  }

  /** The object of `key` from the first origin (in sorted order) that holds it, as buildClusterState() picks. */
  #winner(key: string): AnyKubeObject | undefined {
    this.#sortedOrigins ??= [...this.#origins.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const origin of this.#sortedOrigins) {
      const object = this.#origins.get(origin)?.objects.get(key);
      if (object) return object;
    }
    return undefined;
  }

  #changed(): void {
    this.#snapshot = undefined;
    for (const batcher of this.#batchers) batcher.notify();
  }
}

/** objectKey()'s parts again: "Kind/namespace/name", or "IngressClass/name". */
function parseKey(key: string): { kind: Kind; namespace: string | undefined; name: string } {
  const parts = key.split('/');
  const kind = parts[0] as Kind;
  return parts.length === 2 ? { kind, namespace: undefined, name: parts[1]! } : { kind, namespace: parts[1], name: parts.slice(2).join('/') };
}

function keyOf(object: AnyKubeObject): string {
  return objectKey(object.kind, object.metadata.namespace, object.metadata.name);
}

function repeatedWarning(object: AnyKubeObject, origin: string): Diagnostic {
  return {
    severity: 'warning',
    kind: object.kind,
    object: objectRef(object),
    field: '',
    message: `defined more than once in ${origin}; the last definition is used`,
    reason: 'DuplicateObject',
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
