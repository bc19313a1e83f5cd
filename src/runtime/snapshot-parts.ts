// A whole route table sent to a worker in parts. At 5,000 Ingresses the table is megabytes of JSON on
// the IPC channel: serialised in one message, it held the primary's event loop (the control plane:
// Lease renewal, status, watches) for hundreds of milliseconds per worker. In parts of a few hundred
// hosts and backends each, the primary serialises one part at a time between other work (see
// WorkerOutbox), and the worker assembles the table and serves it whole once the last part is in: it
// never serves a partial table.
import type { BackendSpec, RouteTableSpec } from '../routing/index.ts';

/** Hosts and backends per part: a part serialises in about a millisecond. */
export const PART_SIZE = 250;

export interface SnapshotPart {
  version: number;
  /** Position in the sequence, from 0; the worker drops a sequence with a gap. */
  index: number;
  last: boolean;
  /** In the first part: the table without its hosts and backends. */
  head?: Omit<RouteTableSpec, 'hosts' | 'backends'>;
  hosts: RouteTableSpec['hosts'];
  backends: BackendSpec[];
}

/** The parts of `spec`, made one at a time (each part is serialised before the next is made). */
export function* snapshotParts(spec: RouteTableSpec, size = PART_SIZE): Generator<SnapshotPart, void, void> {
  const { hosts, backends, ...head } = spec;
  const keys = Object.keys(backends);
  const count = Math.max(1, Math.ceil(Math.max(hosts.length, keys.length) / size));
  for (let index = 0; index < count; index++) {
    const from = index * size;
    const part: SnapshotPart = {
      version: spec.version,
      index,
      last: index === count - 1,
      hosts: hosts.slice(from, from + size),
      backends: keys.slice(from, from + size).map((key) => backends[key]!),
    };
    if (index === 0) part.head = head;
    yield part;
  }
}

/** The worker's side: collects the parts of one version, and gives the whole table once the last one is in. */
export class SnapshotAssembler {
  private spec: RouteTableSpec | null = null;
  private next = 0;

  /** The whole table when `part` completes it; null while parts are missing (or the sequence was broken). */
  add(part: SnapshotPart): RouteTableSpec | null {
    if (part.index === 0 && part.head !== undefined) {
      this.spec = { ...part.head, hosts: [], backends: {} };
      this.next = 0;
    }
    const spec = this.spec;
    // A part of another version, or after a gap (a newer table started): wait for a first part.
    if (spec === null || part.version !== spec.version || part.index !== this.next) {
      this.spec = null;
      return null;
    }
    for (const host of part.hosts) spec.hosts.push(host);
    for (const backend of part.backends) spec.backends[backend.key] = backend;
    this.next++;
    if (!part.last) return null;
    this.spec = null;
    return spec;
  }
}
