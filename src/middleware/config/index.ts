// The middleware room's pure door: configuration parsing with no I/O, for translate() (which validates
// Middleware objects and annotations with the very parsers the built-ins use) and for the built-ins.
import { parseAffinityConfig } from './affinity.ts';
import { parseBasicAuthConfig } from './basic-auth.ts';
import { parseCanaryConfig } from './canary.ts';
import { parseCompressConfig } from './compress.ts';
import { parseCorsConfig } from './cors.ts';
import { parseDenyConfig } from './deny.ts';
import { parseForwardAuthConfig } from './forward-auth.ts';
import { parseHeadersConfig } from './headers.ts';
import { parseIpFilterConfig } from './ip-filter.ts';
import { parseJwtConfig } from './jwt.ts';
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
});

export function isBuiltinType(type: string): boolean {
  return Object.hasOwn(BUILTIN_CONFIG_PARSERS, type);
}

export { ConfigReader, isPlainObject } from './read.ts';
export { htpasswdLines, parseHtpasswd, HtpasswdError, type HtpasswdEntry, type HashScheme } from './htpasswd.ts';
export { parseRateLimitKey, RATE_LIMIT_KEY_HINT, type RateLimitConfig, type RateLimitKey } from './rate-limit.ts';
export { REDIRECT_STATUSES, type RedirectStatus } from './redirect.ts';
export type { AffinityConfig } from './affinity.ts';
export type { BasicAuthConfig } from './basic-auth.ts';
export type { CanaryConfig } from './canary.ts';
export type { CompressConfig, Encoding } from './compress.ts';
export type { CorsConfig } from './cors.ts';
export type { DenyConfig } from './deny.ts';
export type { ForwardAuthConfig } from './forward-auth.ts';
export type { HeadersConfig, HeaderEdits } from './headers.ts';
export type { IpFilterConfig } from './ip-filter.ts';
export type { JwtConfig } from './jwt.ts';
export type { RewriteConfig, PathReplacement } from './rewrite.ts';
export type { RedirectConfig, RedirectTarget } from './redirect.ts';
export {
  parseAffinityConfig, parseBasicAuthConfig, parseCanaryConfig, parseCompressConfig, parseCorsConfig, parseDenyConfig, parseForwardAuthConfig,
  parseHeadersConfig, parseIpFilterConfig, parseJwtConfig, parseRateLimitConfig, parseRedirectConfig, parseRewriteConfig,
};
