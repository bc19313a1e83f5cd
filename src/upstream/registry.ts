// Connection pools outlive routing snapshots: a new table that still lists an endpoint reuses its warm
// pool; endpoints that left the table have their pools retired (idle sockets closed at once, busy ones
// when their request ends). Backends are BackendRuntime objects with the pools resolved, so a request
// picks an endpoint with an array index, not a map lookup; they are updated in place as endpoints
// change, so an EndpointSlice change costs that backend's endpoints, not the table's.
import type { BackendSpec, EndpointSpec } from '../routing/spec.ts';
import { EndpointPool, type PoolSettings } from './endpoint-pool.ts';
import { Http2SessionPool } from './http2-session-pool.ts';
import { isHttp2Protocol, upstreamTlsOptions } from './tls-options.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { RetryPolicy } from './retry-policy.ts';

/**
 * One endpoint of a backend in a snapshot. Its connection pools are created on first use: with tens of
 * thousands of endpoints most are never picked by one process, and an idle pool costs memory.
 */
export class EndpointRuntime {
  readonly spec: EndpointSpec;
  /** Identity of the pool across snapshots (protocol, address, port, upstream TLS settings). */
  readonly poolKey: string;
  /** How its connections are made (the backend's protocol and upstream TLS; not the whole backend, which changes). */
  readonly transport: Transport;
  private readonly registry: UpstreamRegistry;
  private http1: EndpointPool | null = null;
  private h2: Http2SessionPool | null | undefined = undefined;

  constructor(spec: EndpointSpec, transport: Transport, registry: UpstreamRegistry) {
    this.spec = spec;
    this.poolKey = poolKeyOf(transport, spec);
    this.transport = transport;
    this.registry = registry;
  }

  /** HTTP/1.1 keep-alive connections (TLS for https backends). */
  get pool(): EndpointPool {
    return (this.http1 ??= this.registry.http1Pool(this));
  }

  /** The multiplexed HTTP/2 sessions of h2c, grpc and grpcs backends; null for the others. */
  get http2(): Http2SessionPool | null {
    if (this.h2 === undefined) this.h2 = isHttp2Protocol(this.transport.protocol) ? this.registry.http2Pool(this) : null;
    return this.h2;
  }
}

/** What makes a backend's connections: its protocol and upstream TLS settings. */
export type Transport = Pick<BackendSpec, 'protocol' | 'tls'>;

function transportOf(spec: BackendSpec): Transport {
  return spec.tls === undefined ? { protocol: spec.protocol } : { protocol: spec.protocol, tls: spec.tls };
}

/** Same protocol and upstream TLS: the backend's connections are made the same way, only its endpoints may differ. */
function sameTransport(a: Transport, b: Transport): boolean {
  return a.protocol === b.protocol && a.tls?.serverName === b.tls?.serverName && a.tls?.caPem === b.tls?.caPem && a.tls?.subjectAltNames?.join() === b.tls?.subjectAltNames?.join()
    && a.tls?.clientCertificate?.certPem === b.tls?.clientCertificate?.certPem && a.tls?.clientCertificate?.keyPem === b.tls?.clientCertificate?.keyPem;
}

function sameEndpoint(p: EndpointSpec, q: EndpointSpec): boolean {
  return p.address === q.address && p.port === q.port && p.ready === q.ready && p.target === q.target;
}

function sameEndpoints(x: readonly EndpointSpec[], y: readonly EndpointSpec[]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!sameEndpoint(x[i]!, y[i]!)) return false;
  return true;
}

/** Identity of an endpoint's pools: verified connections (a CA) never share a pool with unverified ones, another CA's or another client certificate's. */
function poolKeyOf(spec: Transport, endpoint: EndpointSpec): string {
  return `${spec.protocol}|${endpoint.address}|${endpoint.port}${spec.tls === undefined ? '' : `|${spec.tls.serverName}|${spec.tls.subjectAltNames?.join() ?? ''}|${spec.tls.caPem}|${spec.tls.clientCertificate?.certPem ?? ''}`}`;
}

/**
 * A backend as requests use it. It lives as long as its key is in the table and its protocol and
 * upstream TLS stay the same: an endpoint change replaces `spec` and `endpoints` in place (one
 * assignment each, between two requests' steps), so the routes that use it need no recompiling and a
 * request in flight that retries picks from the current endpoints.
 */
export interface BackendRuntime {
  spec: BackendSpec;
  /** Replaced whole, never edited: a pick reads one consistent list. */
  endpoints: readonly EndpointRuntime[];
  /** Round-robin cursor. */
  next: number;
  /** Outlier ejection of this backend's endpoints (kept across snapshots). */
  readonly breaker: CircuitBreaker;
  /** When a failed attempt may be tried again, with this backend's retry budget (kept across snapshots). */
  readonly retry: RetryPolicy;
}

export class UpstreamRegistry {
  private readonly settings: PoolSettings;
  private readonly pools = new Map<string, EndpointPool>();
  private readonly http2Pools = new Map<string, Http2SessionPool>();
  /** The backends of the table served, by key: routes read this map (canary switches backend by key). */
  private readonly runtimes = new Map<string, BackendRuntime>();
  /** How many endpoint runtimes of the table served use each pool key: a pool whose count drops to 0 retires. */
  private readonly poolUsers = new Map<string, number>();

  constructor(settings: PoolSettings) {
    this.settings = settings;
  }

  /** The backends of the table served, kept up to date by prepare() and update(). */
  get backends(): ReadonlyMap<string, BackendRuntime> {
    return this.runtimes;
  }

  /** Every backend of a new table (the whole table: backends missing from it are dropped). */
  prepare(backends: Readonly<Record<string, BackendSpec>>): void {
    const gone = [...this.runtimes.keys()].filter((key) => backends[key] === undefined);
    this.update(Object.values(backends), gone);
  }

  /**
   * Applies changed and removed backends. A backend whose protocol and TLS settings stay keeps its
   * runtime (cursor, breaker, warm pools) and gets its new endpoints in place. Returns the keys of the
   * backends that were there and got a new runtime (their protocol or TLS changed): routes using
   * those hold the old one and must be compiled again. (A table lists exactly the backends its routes
   * use, so a key that appears or goes comes with the routes that start or stop using it.)
   */
  update(changed: readonly BackendSpec[], removed: readonly string[]): ReadonlySet<string> {
    const replaced = new Set<string>();
    for (const spec of changed) {
      const previous = this.runtimes.get(spec.key);
      if (previous !== undefined && sameTransport(previous.spec, spec)) {
        if (!sameEndpoints(previous.spec.endpoints, spec.endpoints)) this.replaceEndpoints(previous, spec);
        previous.spec = spec;
        continue;
      }
      const transport = transportOf(spec);
      const endpoints = spec.endpoints.map((endpoint) => new EndpointRuntime(endpoint, transport, this));
      this.use(endpoints);
      if (previous !== undefined) this.release(previous.endpoints);
      // Outlier and retry state belong to the backend, not to one version of it.
      this.runtimes.set(spec.key, { spec, endpoints, next: 0, breaker: previous?.breaker ?? new CircuitBreaker(), retry: previous?.retry ?? new RetryPolicy() });
      if (previous !== undefined) replaced.add(spec.key);
    }
    for (const key of removed) {
      const previous = this.runtimes.get(key);
      if (previous === undefined) continue;
      this.runtimes.delete(key);
      this.release(previous.endpoints);
    }
    return replaced;
  }

  /** New endpoints of a backend: endpoints it keeps keep their runtime (and pools). */
  private replaceEndpoints(runtime: BackendRuntime, spec: BackendSpec): void {
    const kept = new Map<string, EndpointRuntime>();
    for (const endpoint of runtime.endpoints) kept.set(endpoint.poolKey, endpoint);
    const transport = runtime.endpoints[0]?.transport ?? transportOf(spec);
    const endpoints = spec.endpoints.map((endpoint) => {
      const previous = kept.get(poolKeyOf(transport, endpoint));
      return previous !== undefined && sameEndpoint(previous.spec, endpoint) ? previous : new EndpointRuntime(endpoint, transport, this);
    });
    // Counted before the old ones are released, so that an endpoint both lists share keeps its pool.
    this.use(endpoints);
    this.release(runtime.endpoints);
    runtime.endpoints = endpoints;
  }

  private use(endpoints: readonly EndpointRuntime[]): void {
    for (const { poolKey } of endpoints) this.poolUsers.set(poolKey, (this.poolUsers.get(poolKey) ?? 0) + 1);
  }

  /** Endpoints no longer served: pools nobody lists any more retire (busy connections finish first). */
  private release(endpoints: readonly EndpointRuntime[]): void {
    for (const { poolKey } of endpoints) {
      const users = (this.poolUsers.get(poolKey) ?? 1) - 1;
      if (users > 0) {
        this.poolUsers.set(poolKey, users);
        continue;
      }
      this.poolUsers.delete(poolKey);
      this.pools.get(poolKey)?.retire();
      this.pools.delete(poolKey);
      this.http2Pools.get(poolKey)?.retire();
      this.http2Pools.delete(poolKey);
    }
  }

  /**
   * The HTTP/1.1 pool of an endpoint, created on its first use. An endpoint no longer served (a request
   * of an older version retrying) gets a pool of its own, retired at once: it closes after that request.
   */
  http1Pool(endpoint: EndpointRuntime): EndpointPool {
    let pool = this.pools.get(endpoint.poolKey);
    if (pool === undefined) {
      const { address, port } = endpoint.spec;
      pool = new EndpointPool(address, port, this.settings, upstreamTlsOptions(endpoint.transport.protocol, endpoint.transport.tls));
      if (this.poolUsers.has(endpoint.poolKey)) this.pools.set(endpoint.poolKey, pool);
      else pool.retire();
    }
    return pool;
  }

  /** The HTTP/2 session pool of an endpoint, created on its first use (retired at once as http1Pool's). */
  http2Pool(endpoint: EndpointRuntime): Http2SessionPool {
    let pool = this.http2Pools.get(endpoint.poolKey);
    if (pool === undefined) {
      const { address, port } = endpoint.spec;
      pool = new Http2SessionPool(address, port, upstreamTlsOptions(endpoint.transport.protocol, endpoint.transport.tls), this.settings);
      if (this.poolUsers.has(endpoint.poolKey)) this.http2Pools.set(endpoint.poolKey, pool);
      else pool.retire();
    }
    return pool;
  }

  /** Pools created so far (one per endpoint that was used). */
  get poolCount(): number {
    return this.pools.size;
  }

  /** Total open upstream connections (for metrics and tests). */
  openConnections(): number {
    let open = 0;
    for (const pool of this.pools.values()) open += pool.open;
    return open;
  }

  closeAll(): void {
    for (const pool of this.http2Pools.values()) pool.retire();
    for (const pool of this.pools.values()) pool.retire();
  }

  /** Closes every open tunnel (WebSockets get 1001); resolves once they are closed. */
  async closeTunnels(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.closeTunnels()));
  }
}

/**
 * Round-robin choice; `avoid` skips the endpoint that just failed when another exists; `preferred`
 * ("ip:port", session affinity) wins when it is still among the endpoints and not ejected. Endpoints the
 * circuit breaker ejected are passed over while any other is usable.
 */
export function pickEndpoint(backend: BackendRuntime, avoid: EndpointRuntime | null, preferred: string | null = null): EndpointRuntime | null {
  const endpoints = backend.endpoints;
  const count = endpoints.length;
  if (count === 0) return null;
  const breaker = backend.breaker;
  const ejections = breaker.hasRecords;
  if (preferred !== null) {
    for (const endpoint of endpoints) if (endpoint.pool.key === preferred && endpoint !== avoid && !(ejections && breaker.isEjected(preferred))) return endpoint;
  }
  const start = backend.next++ % count;
  if (backend.next >= 0x3fffffff) backend.next = 0;
  let fallback: EndpointRuntime | null = null;
  for (let i = 0; i < count; i++) {
    const endpoint = endpoints[(start + i) % count]!;
    if (endpoint === avoid && count > 1) continue;
    if (ejections && breaker.isEjected(endpoint.pool.key)) {
      fallback ??= endpoint;
      continue;
    }
    return endpoint;
  }
  // Every candidate is ejected (or avoided): use one anyway rather than fail the request outright.
  return fallback ?? endpoints[start]!;
}
