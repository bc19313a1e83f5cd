// The middleware API: Koa-style onion functions over Tideway's own request/response view, the same for
// HTTP/1.1, HTTP/2 and WebSocket upgrades. `await next()` splits a middleware into its request phase
// (before: inspect or rewrite the request, answer it directly) and its response phase (after: the
// upstream's status and headers are in ctx.response and may be changed before they reach the client).
// The phases are named after Pingora's ProxyHttp: request_filter, upstream_request_filter,
// response_filter, logging.
import type { RateBudget } from './rate-budget/index.ts';
import type { MiddlewareSpec, RouteSpec } from '../routing/spec.ts';

/** Case-insensitive header access. Names passed in may be any case; values are strings. */
export interface HeaderMap {
  get(name: string): string | undefined;
  /** All values of a header (Set-Cookie, repeated headers), in order. */
  getAll(name: string): string[];
  has(name: string): boolean;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  delete(name: string): void;
  /** [name, value] pairs in order, names as received or set. */
  entries(): IterableIterator<[string, string]>;
}

export interface RequestView {
  readonly method: string;
  /** "http" or "https": how the client reached Tideway (or what a trusted proxy says). */
  readonly scheme: string;
  /**
   * The Gateway API listener port the request arrived on, as Gateways declare it (80 for --http-port,
   * 443 for --https-port, the port itself for a listener bound as written); absent outside the proxy.
   */
  readonly listenerPort?: number;
  /** Host header (HTTP/1.1) or :authority (HTTP/2), as received, port included. */
  readonly authority: string;
  /** Path and query as sent upstream; a middleware may rewrite it (path rewrite, strip prefix). */
  path: string;
  /** The client address resolved through --trusted-proxies. */
  readonly clientAddress: string;
  readonly protocol: 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2';
  readonly requestId: string;
  /** Request headers as they will be sent upstream (hop-by-hop ones already removed). */
  readonly headers: HeaderMap;
  /** Declared body length, or -1 when unknown (chunked, HTTP/2 without content-length). */
  readonly contentLength: number;
  /** True for a WebSocket (or other protocol) upgrade request. */
  readonly isUpgrade: boolean;
}

export interface ResponseView {
  status: number;
  readonly headers: HeaderMap;
  /**
   * Optional transform of the response body (compression): given the upstream body chunks, returns the
   * chunks to send. When set, the proxy drops Content-Length and frames the body itself.
   */
  bodyTransform: BodyTransform | null;
}

export interface BodyTransform {
  /** Transforms one chunk; may return an empty buffer. */
  write(chunk: Buffer): Buffer;
  /** Flushes what is left at the end of the body. */
  end(): Buffer;
}

/** Where the request goes upstream; middlewares (canary) may switch it to another backend of the route. */
export interface UpstreamChoice {
  /** Key into the snapshot's backends (RouteTableSpec.backends); defaults to the route's backend. */
  backend: string | null;
  /** Cookie-based session affinity: prefer this endpoint ("ip:port") when it is still usable. */
  preferredEndpoint: string | null;
  /** upstream-hash: without a preferred endpoint, prefer the one this key hashes to (upstream/hash-pick.ts). */
  hashKey: string | null;
  /** Filled in by the proxy after the call: the endpoint used ("ip:port"), or null. */
  endpoint: string | null;
}

export interface Context {
  readonly request: RequestView;
  /** Null until the upstream answered (after `await next()`), or until respond() was called. */
  response: ResponseView | null;
  readonly route: RouteSpec;
  readonly upstream: UpstreamChoice;
  /**
   * Answers the request from the gateway: the upstream is not called (do not call next() after it). A
   * string or Buffer body is sent as is; headers are added to the answer.
   */
  respond(status: number, body?: string | Buffer, headers?: Record<string, string>): void;
  /** Free-form per-request state shared by middlewares of one chain. */
  readonly state: Record<string, unknown>;
  /** Extra fields for this request's access-log line (e.g. the authenticated user). */
  readonly logFields: Record<string, string | number>;
  /**
   * Hands `tap` every chunk of the request body from its first byte (those read before this call
   * included), then end() once it is complete; a tap is never asked to hold anything up.
   */
  tapRequestBody(tap: RequestBodyTap): void;
}

/**
 * Sees the request body as the proxy reads it from the client (request-mirror). Called on the hot
 * path: it must not throw, block or keep the chunks it is given without copying them.
 */
export interface RequestBodyTap {
  data(chunk: Buffer): void;
  /** The body is complete and was forwarded whole. Never called when the request goes away first. */
  end(): void;
}

export type Next = () => Promise<void>;
export type Middleware = (ctx: Context, next: Next) => Promise<void> | void;

/** Raised while building a middleware from its configuration; names the field at fault. */
export class MiddlewareConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'MiddlewareConfigError';
    this.field = field;
  }
}

/**
 * What a middleware factory may use when it builds its middleware (once per route per snapshot).
 * Secrets a middleware needs (htpasswd, JWT keys) are resolved by translate() into its config, so a
 * factory never reads the cluster.
 */
export interface MiddlewareEnvironment {
  /** Shared services (Redis client, JWKS caches) keyed so that snapshots reuse them. */
  shared<T>(key: string, create: () => T): T;
  /** The instance's rate-limit budget (leased from the primary in a worker); absent: this process's own. */
  rateBudget?: RateBudget;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

/**
 * Builds a chain of other middlewares inside one (gateway-backends runs the filters of the backend it
 * chose). Throws MiddlewareConfigError when one of them cannot be built; null for an empty list.
 */
export interface NestedChains {
  build(specs: readonly MiddlewareSpec[], field: string): ((ctx: Context, terminal: (ctx: Context) => Promise<void> | void) => Promise<void>) | null;
}

/** A built-in or plugin middleware type: validates its config and builds the function. */
export interface MiddlewareFactory {
  readonly type: string;
  /** Throws MiddlewareConfigError naming the config field (e.g. "spec.rateLimit.burst"). */
  create(config: Record<string, unknown>, env: MiddlewareEnvironment, nested?: NestedChains): Middleware;
}
