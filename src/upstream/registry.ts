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

export interface EndpointRuntime {
  readonly spec: EndpointSpec;
  /** HTTP/1.1 keep-alive connections (TLS for https backends). */
  readonly pool: EndpointPool;
  /** The multiplexed HTTP/2 sessions of h2c, grpc and grpcs backends; null for the others. */
  readonly http2: Http2SessionPool | null;
  /** Identity of the pool across snapshots (protocol, address, port, upstream TLS settings). */
  readonly poolKey: string;
}

/** Same protocol, upstream TLS and endpoints (in order): the runtime of the old snapshot still fits. */
function sameUpstreams(a: BackendSpec, b: BackendSpec): boolean {
  if (a.protocol !== b.protocol || a.tls?.serverName !== b.tls?.serverName || a.tls?.caPem !== b.tls?.caPem) return false;
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
    const next = new Map<string, EndpointPool>();
    const nextHttp2 = new Map<string, Http2SessionPool>();
    const runtimes = new Map<string, BackendRuntime>();
    for (const key of Object.keys(backends)) {
      const spec = backends[key]!;
      const previous = this.runtimes.get(key);
      const runtime = previous !== undefined && sameUpstreams(previous.spec, spec) ? previous : this.buildRuntime(key, spec, next, nextHttp2);
      for (const endpoint of runtime.endpoints) {
        if (!next.has(endpoint.poolKey)) {
          endpoint.pool.revive();
          next.set(endpoint.poolKey, endpoint.pool);
        }
        if (endpoint.http2 !== null && !nextHttp2.has(endpoint.poolKey)) {
          endpoint.http2.revive();
          nextHttp2.set(endpoint.poolKey, endpoint.http2);
        }
      }
      runtimes.set(key, runtime);
    }
    for (const [key, pool] of this.pools) if (!next.has(key)) pool.retire();
    for (const [key, pool] of this.http2Pools) if (!nextHttp2.has(key)) pool.retire();
    this.pools = next;
    this.http2Pools = nextHttp2;
    this.runtimes = runtimes;
    return runtimes;
  }

  private buildRuntime(key: string, spec: BackendSpec, next: Map<string, EndpointPool>, nextHttp2: Map<string, Http2SessionPool>): BackendRuntime {
    const endpoints: EndpointRuntime[] = [];
    const tlsOptions = upstreamTlsOptions(spec.protocol, spec.tls);
    for (const endpoint of spec.endpoints) {
      // Verified connections (a CA) never share a pool with unverified ones or another CA's.
      const poolKey = `${spec.protocol}|${endpoint.address}|${endpoint.port}${spec.tls === undefined ? '' : `|${spec.tls.serverName}|${spec.tls.caPem}`}`;
      const pool = next.get(poolKey) ?? this.pools.get(poolKey) ?? new EndpointPool(endpoint.address, endpoint.port, this.settings, tlsOptions);
      let http2: Http2SessionPool | null = null;
      if (isHttp2Protocol(spec.protocol)) {
        http2 = nextHttp2.get(poolKey) ?? this.http2Pools.get(poolKey) ?? new Http2SessionPool(endpoint.address, endpoint.port, tlsOptions, this.settings);
      }
      endpoints.push({ spec: endpoint, pool, http2, poolKey });
    }
    // Outlier and retry state belong to the backend, not to one snapshot of it.
    const previous = this.runtimes.get(key);
    return { spec, endpoints, next: 0, breaker: previous?.breaker ?? new CircuitBreaker(), retry: previous?.retry ?? new RetryPolicy() };
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
