// node:http2 keeps each session's open streams in a Map (id -> stream), and puts every new client stream
// in a Set until it has an id (ClientHttp2Session.request() does so even on a connected session). So
// each request adds an entry to each table and deletes it soon after. V8's hash tables keep deleted
// entries until they are rebuilt into a new table, and once a session has lived through a full
// collection its tables are in the old generation: a table dropped there still points at the young
// streams it held, and the young-generation collector counts those pointers as roots until the next
// full collection. Every stream caught so, with all it reaches (both streams of a proxied call, their
// header sets, our exchange), is then promoted. Measured on grpc-unary-tls: after the first full
// collection under load, scavenges went from 0.8 to 4-9 ms, the old generation grew by about 35 MB/s
// and a 30-45 ms full collection followed every second, for good: the "42 or 60 µs per request from
// one start to the next" of docs/benchmarks.md.
//
// The tables below hold the same entries in arrays whose slots are cleared when an entry leaves and
// when an array is replaced, so no storage left behind points at a stream. They replace node's own on
// each session as soon as it exists. That is node's private state, found by its symbol: if a Node lays
// it out differently nothing is replaced (installStreamTables returns false), and a test fails.
import type http2 from 'node:http2';

/** Open streams by id, as node:http2 uses its Map: get, set, delete, size, forEach. */
export class StreamIdTable<V> {
  /** Stream ids by slot; 0 is an empty slot (no stream has id 0). */
  private ids: Int32Array;
  private values: (V | undefined)[];
  private mask: number;
  size = 0;

  constructor(capacity = 16) {
    this.ids = new Int32Array(capacity);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
  }

  /** Where `id` lives or would go. Ids of one side go up by 2 (odd from clients), so id >>> 1 spreads them. */
  private slotOf(id: number): number {
    const ids = this.ids;
    const mask = this.mask;
    let slot = (id >>> 1) & mask;
    while (ids[slot] !== 0 && ids[slot] !== id) slot = (slot + 1) & mask;
    return slot;
  }

  get(id: number): V | undefined {
    return this.values[this.slotOf(id)];
  }

  has(id: number): boolean {
    return this.ids[this.slotOf(id)] === id;
  }

  set(id: number, value: V): this {
    const slot = this.slotOf(id);
    if (this.ids[slot] !== id) {
      this.ids[slot] = id;
      this.size++;
    }
    this.values[slot] = value;
    if (this.size * 2 > this.ids.length) this.grow();
    return this;
  }

  /** Removes `id`, then moves up the entries that probed past its slot (linear probing without tombstones). */
  delete(id: number): boolean {
    const ids = this.ids;
    const values = this.values;
    const mask = this.mask;
    let hole = this.slotOf(id);
    if (ids[hole] !== id) return false;
    ids[hole] = 0;
    values[hole] = undefined;
    this.size--;
    for (let slot = (hole + 1) & mask; ids[slot] !== 0; slot = (slot + 1) & mask) {
      const home = (ids[slot]! >>> 1) & mask;
      // The entry stays unless its home is cyclically outside (hole, slot].
      const stays = hole <= slot ? home > hole && home <= slot : home > hole || home <= slot;
      if (stays) continue;
      ids[hole] = ids[slot]!;
      values[hole] = values[slot];
      ids[slot] = 0;
      values[slot] = undefined;
      hole = slot;
    }
    return true;
  }

  /** Calls `fn` for each entry present when it starts (node destroys streams, and so deletes, from it). */
  forEach(fn: (value: V, id: number) => void): void {
    if (this.size === 0) return;
    const ids: number[] = [];
    const values: V[] = [];
    for (let slot = 0; slot < this.ids.length; slot++) {
      if (this.ids[slot] === 0) continue;
      ids.push(this.ids[slot]!);
      values.push(this.values[slot]!);
    }
    for (let i = 0; i < ids.length; i++) fn(values[i]!, ids[i]!);
  }

  private grow(): void {
    const oldIds = this.ids;
    const oldValues = this.values;
    const capacity = oldIds.length * 2;
    this.ids = new Int32Array(capacity);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (let slot = 0; slot < oldIds.length; slot++) {
      if (oldIds[slot] === 0) continue;
      const to = this.slotOf(oldIds[slot]!);
      this.ids[to] = oldIds[slot]!;
      this.values[to] = oldValues[slot];
    }
    // The old array may be in the old generation: it must not keep pointing at streams.
    oldValues.fill(undefined);
  }
}

/** Streams waiting for an id, as node:http2 uses its Set: add, delete, size, forEach. */
export class PendingStreamSet<V> {
  private items: (V | undefined)[] = new Array<V | undefined>(8).fill(undefined);
  size = 0;

  private indexOf(value: V): number {
    const items = this.items;
    for (let i = this.size - 1; i >= 0; i--) if (items[i] === value) return i;
    return -1;
  }

  has(value: V): boolean {
    return this.indexOf(value) >= 0;
  }

  add(value: V): this {
    if (this.indexOf(value) >= 0) return this;
    if (this.size === this.items.length) {
      const old = this.items;
      this.items = old.concat(new Array<V | undefined>(old.length).fill(undefined));
      old.fill(undefined);
    }
    this.items[this.size++] = value;
    return this;
  }

  /** The last entry takes the removed one's slot, and its own slot is cleared. */
  delete(value: V): boolean {
    const index = this.indexOf(value);
    if (index < 0) return false;
    const last = --this.size;
    this.items[index] = this.items[last];
    this.items[last] = undefined;
    return true;
  }

  /** Calls `fn` for each entry present when it starts. */
  forEach(fn: (value: V) => void): void {
    if (this.size === 0) return;
    const snapshot = this.items.slice(0, this.size) as V[];
    for (let i = 0; i < snapshot.length; i++) fn(snapshot[i]!);
  }
}

/** The part of node's Map and Set used here (node's own are "safe" copies whose prototype is not Map's). */
interface NodeTable {
  size: number;
  forEach(fn: (value: unknown, key: unknown) => void): void;
}

interface SessionTables {
  streams: unknown;
  pendingStreams: unknown;
}

function isNodeTable(table: unknown, kind: string): table is NodeTable {
  return typeof table === 'object' && table !== null && table.constructor?.name === kind &&
    typeof (table as NodeTable).size === 'number' && typeof (table as NodeTable).forEach === 'function';
}

/** node:http2's per-session state object, found by its symbol's description. */
function stateOf(session: http2.Http2Session): SessionTables | undefined {
  const symbol = Object.getOwnPropertySymbols(session).find((s) => s.description === 'state');
  const state = symbol === undefined ? undefined : (session as unknown as Record<symbol, unknown>)[symbol];
  return typeof state === 'object' && state !== null ? (state as SessionTables) : undefined;
}

/**
 * Gives `session` the tables above in place of its Map and Set, with what they hold. Returns false, and
 * changes nothing, where this Node keeps them differently.
 */
export function installStreamTables(session: http2.Http2Session): boolean {
  const state = stateOf(session);
  if (state === undefined || !isNodeTable(state.streams, 'SafeMap') || !isNodeTable(state.pendingStreams, 'SafeSet')) return false;
  const streams = new StreamIdTable<unknown>();
  state.streams.forEach((stream, id) => streams.set(id as number, stream));
  const pending = new PendingStreamSet<unknown>();
  state.pendingStreams.forEach((stream) => pending.add(stream));
  state.streams = streams;
  state.pendingStreams = pending;
  return true;
}
