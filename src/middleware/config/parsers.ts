// Built-in type name -> its configuration parser: the single table that the registry's built-ins and
// translate()'s validation agree on.
import { parseAffinityConfig } from './affinity.ts';
import { parseBasicAuthConfig } from './basic-auth.ts';
import { parseCanaryConfig } from './canary.ts';
import { parseCompressConfig } from './compress.ts';
import { parseConcurrencyLimitConfig } from './concurrency-limit.ts';
import { parseCorsConfig } from './cors.ts';
import { parseDenyConfig } from './deny.ts';
import { parseErrorPagesConfig } from './error-pages.ts';
import { parseProxyRewriteConfig } from './proxy-rewrite.ts';
import { parseForwardAuthConfig } from './forward-auth.ts';
import { parseGatewayBackendsConfig, parseGatewayRedirectConfig, parseGatewayRewriteConfig } from './gateway.ts';
import { parseHeadersConfig } from './headers.ts';
import { parseIpFilterConfig } from './ip-filter.ts';
import { parseUrlMirrorConfig } from './url-mirror.ts';
import { parseUpstreamHashConfig } from './upstream-hash.ts';
import { parseJwtConfig } from './jwt.ts';
import { parseMirrorConfig } from './mirror.ts';
import { parseRateLimitConfig } from './rate-limit.ts';
import { parseRedirectConfig } from './redirect.ts';
import { parseRewriteConfig } from './rewrite.ts';

/** Built-in type name -> its configuration parser (throws MiddlewareConfigError). */
export const BUILTIN_CONFIG_PARSERS: Readonly<Record<string, (raw: unknown) => unknown>> = Object.freeze({
  deny: parseDenyConfig,
  'ip-filter': parseIpFilterConfig,
  redirect: parseRedirectConfig,
  cors: parseCorsConfig,
  'rate-limit': parseRateLimitConfig,
  'basic-auth': parseBasicAuthConfig,
  jwt: parseJwtConfig,
  'forward-auth': parseForwardAuthConfig,
  headers: parseHeadersConfig,
  rewrite: parseRewriteConfig,
  compress: parseCompressConfig,
  canary: parseCanaryConfig,
  affinity: parseAffinityConfig,
  'error-pages': parseErrorPagesConfig,
  'proxy-rewrite': parseProxyRewriteConfig,
  'concurrency-limit': parseConcurrencyLimitConfig,
  'url-mirror': parseUrlMirrorConfig,
  'upstream-hash': parseUpstreamHashConfig,
  'gateway-redirect': parseGatewayRedirectConfig,
  'gateway-rewrite': parseGatewayRewriteConfig,
  'gateway-backends': parseGatewayBackendsConfig,
  'request-mirror': parseMirrorConfig,
});

export function isBuiltinType(type: string): boolean {
  return Object.hasOwn(BUILTIN_CONFIG_PARSERS, type);
}

