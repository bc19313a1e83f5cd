// Connection pools outlive routing snapshots: a new table that still lists an endpoint reuses its warm
// pool; endpoints that left the table have their pools retired (idle sockets closed at once, busy ones
// when their request ends). Per snapshot, backends become BackendRuntime objects with the pools
// resolved, so a request picks an endpoint with an array index, not a map lookup.
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
  readonly backend: BackendSpec;
  private readonly registry: UpstreamRegistry;
  private http1: EndpointPool | null = null;
  private h2: Http2SessionPool | null | undefined = undefined;

  constructor(spec: EndpointSpec, poolKey: string, backend: BackendSpec, registry: UpstreamRegistry) {
    this.spec = spec;
    this.poolKey = poolKey;
    this.backend = backend;
    this.registry = registry;
  }

  /** HTTP/1.1 keep-alive connections (TLS for https backends). */
  get pool(): EndpointPool {
    return (this.http1 ??= this.registry.http1Pool(this));
  }

  /** The multiplexed HTTP/2 sessions of h2c, grpc and grpcs backends; null for the others. */
  get http2(): Http2SessionPool | null {
    if (this.h2 === undefined) this.h2 = isHttp2Protocol(this.backend.protocol) ? this.registry.http2Pool(this) : null;
    return this.h2;
  }
}

/** Same protocol, upstream TLS and endpoints (in order): the runtime of the old snapshot still fits. */
function sameUpstreams(a: BackendSpec, b: BackendSpec): boolean {
  if (a.protocol !== b.protocol || a.tls?.serverName !== b.tls?.serverName || a.tls?.caPem !== b.tls?.caPem || a.tls?.subjectAltNames?.join() !== b.tls?.subjectAltNames?.join()
    || a.tls?.clientCertificate?.certPem !== b.tls?.clientCertificate?.certPem || a.tls?.clientCertificate?.keyPem !== b.tls?.clientCertificate?.keyPem) return false;
  const x = a.endpoints;
  const y = b.endpoints;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p.address !== q.address || p.port !== q.port || p.ready !== q.ready) return false;
  }
  return true;
}

export interface BackendRuntime {
  readonly spec: BackendSpec;
  readonly endpoints: readonly EndpointRuntime[];
  /** Round-robin cursor. */
  next: number;
  /** Outlier ejection of this backend's endpoints (kept across snapshots). */
  readonly breaker: CircuitBreaker;
  /** When a failed attempt may be tried again, with this backend's retry budget (kept across snapshots). */
  readonly retry: RetryPolicy;
}


export class UpstreamRegistry {
  private readonly settings: PoolSettings;
  private pools = new Map<string, EndpointPool>();
  private http2Pools = new Map<string, Http2SessionPool>();
  private runtimes = new Map<string, BackendRuntime>();

  constructor(settings: PoolSettings) {
    this.settings = settings;
  }

  /**
   * Runtimes for every backend of a new table; pools of endpoints no longer listed are retired. A
   * backend whose endpoints did not change keeps its runtime (and round-robin cursor): with thousands of
   * backends a change then costs a comparison per endpoint, not new objects and pool keys for all.
   */
  prepare(backends: Readonly<Record<string, BackendSpec>>): Map<string, BackendRuntime> {
    const runtimes = new Map<string, BackendRuntime>();
    const live = new Set<string>();
    for (const key of Object.keys(backends)) {
      const spec = backends[key]!;
      const previous = this.runtimes.get(key);
      const runtime = previous !== undefined && sameUpstreams(previous.spec, spec) ? previous : this.buildRuntime(key, spec);
      for (const endpoint of runtime.endpoints) live.add(endpoint.poolKey);
      runtimes.set(key, runtime);
    }
    // Pools exist only for endpoints that were used; those no longer listed retire (busy ones finish).
    for (const [key, pool] of this.pools) {
      if (live.has(key)) pool.revive();
      else {
        pool.retire();
        this.pools.delete(key);
      }
    }
    for (const [key, pool] of this.http2Pools) {
      if (live.has(key)) pool.revive();
      else {
        pool.retire();
        this.http2Pools.delete(key);
      }
    }
    this.runtimes = runtimes;
    return runtimes;
  }

  private buildRuntime(key: string, spec: BackendSpec): BackendRuntime {
    const endpoints: EndpointRuntime[] = [];
    for (const endpoint of spec.endpoints) {
      // Verified connections (a CA) never share a pool with unverified ones, another CA's or another client certificate's.
      const poolKey = `${spec.protocol}|${endpoint.address}|${endpoint.port}${spec.tls === undefined ? '' : `|${spec.tls.serverName}|${spec.tls.subjectAltNames?.join() ?? ''}|${spec.tls.caPem}|${spec.tls.clientCertificate?.certPem ?? ''}`}`;
      endpoints.push(new EndpointRuntime(endpoint, poolKey, spec, this));
    }
    // Outlier and retry state belong to the backend, not to one snapshot of it.
    const previous = this.runtimes.get(key);
    return { spec, endpoints, next: 0, breaker: previous?.breaker ?? new CircuitBreaker(), retry: previous?.retry ?? new RetryPolicy() };
  }

  /** The HTTP/1.1 pool of an endpoint, created on its first use. */
  http1Pool(endpoint: EndpointRuntime): EndpointPool {
    let pool = this.pools.get(endpoint.poolKey);
    if (pool === undefined) {
      const { address, port } = endpoint.spec;
      pool = new EndpointPool(address, port, this.settings, upstreamTlsOptions(endpoint.backend.protocol, endpoint.backend.tls));
      this.pools.set(endpoint.poolKey, pool);
    }
    return pool;
  }

  /** The HTTP/2 session pool of an endpoint, created on its first use. */
  http2Pool(endpoint: EndpointRuntime): Http2SessionPool {
    let pool = this.http2Pools.get(endpoint.poolKey);
    if (pool === undefined) {
      const { address, port } = endpoint.spec;
      pool = new Http2SessionPool(address, port, upstreamTlsOptions(endpoint.backend.protocol, endpoint.backend.tls), this.settings);
      this.http2Pools.set(endpoint.poolKey, pool);
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
