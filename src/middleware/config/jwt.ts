// Configuration of jwt: which algorithms are accepted (an explicit allow-list, never "none"), where the
// keys come from (exactly one of a JWKS URL, PEM public keys, or an HMAC secret that translate() copies
// from a Secret), and which claims must hold.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { MiddlewareConfigError } from '../types.ts';
import { ConfigReader, HEADER_NAME } from './read.ts';

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof HMAC_ALGORITHMS)[number] | (typeof ASYMMETRIC_ALGORITHMS)[number];
const ALL_ALGORITHMS: readonly string[] = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS];

export type JwtKeySource =
  | { kind: 'jwks'; url: URL; cacheMaxAgeMs: number; cooldownMs: number; timeoutMs: number }
  | { kind: 'public-keys'; keys: KeyObject[] }
  | { kind: 'hmac'; secret: Uint8Array };

export interface JwtConfig {
  algorithms: JwtAlgorithm[];
  keys: JwtKeySource;
  /** Accepted "iss" values; null accepts any. */
  issuer: string[] | null;
  /** Accepted "aud" values (one must match); null accepts any. */
  audience: string[] | null;
  clockSkewMs: number;
  /** Claims that must be present (exp is always checked when present; list it here to require it). */
  requiredClaims: string[];
  /** claim name -> request header sent upstream; any client-sent value of these headers is dropped. */
  claimsToHeaders: Record<string, string>;
  /** Header holding "Bearer <token>" (default Authorization); tokenCookie is tried when it is absent. */
  tokenHeader: string;
  tokenCookie: string | null;
  /** false removes the token header before the request goes upstream. */
  forwardToken: boolean;
  realm: string;
}

const COOKIE_NAME = { test: /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, hint: 'a valid cookie name' };
/** RFC 7518 3.2: an HMAC key must be at least as long as the hash output; we ask for 256 bits at least. */
const MIN_HMAC_BYTES = 32;

function publicKeys(r: ConfigReader, pems: string[]): KeyObject[] {
  return pems.map((pem, i) => {
    try {
      return createPublicKey(pem);
    } catch (err) {
      throw new MiddlewareConfigError(r.field(`publicKeys[${i}]`), `not a PEM public key: ${(err as Error).message}`);
    }
  });
}

function keySource(r: ConfigReader): JwtKeySource {
  const jwksUrl = r.string('jwksUrl');
  const pems = r.stringList('publicKeys', true);
  const secret = r.string('hmacSecret');
  const cacheMaxAgeMs = r.duration('jwksCacheDuration', 1000);
  const cooldownMs = r.duration('jwksCooldown');
  const timeoutMs = r.duration('jwksTimeout', 1);
  const given = [jwksUrl, pems, secret].filter((v) => v !== undefined).length;
  if (given !== 1) r.fail('jwksUrl', 'exactly one of jwksUrl, publicKeys or hmacSecret is required');
  if (jwksUrl === undefined && (cacheMaxAgeMs ?? cooldownMs ?? timeoutMs) !== undefined) r.fail('jwksCacheDuration', 'jwks* settings need jwksUrl');
  if (jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      r.fail('jwksUrl', `${JSON.stringify(jwksUrl)} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') r.fail('jwksUrl', 'must be an http:// or https:// URL');
    return { kind: 'jwks', url, cacheMaxAgeMs: cacheMaxAgeMs ?? 600_000, cooldownMs: cooldownMs ?? 30_000, timeoutMs: timeoutMs ?? 5_000 };
  }
  if (pems !== undefined) return { kind: 'public-keys', keys: publicKeys(r, pems) };
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length < MIN_HMAC_BYTES) r.fail('hmacSecret', `must be at least ${MIN_HMAC_BYTES} bytes long, got ${bytes.length}`);
  return { kind: 'hmac', secret: bytes };
}

export function parseJwtConfig(raw: unknown): JwtConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const algorithms = r.stringList('algorithms', true);
  if (algorithms === undefined) r.fail('algorithms', `is required: list the accepted algorithms (${ALL_ALGORITHMS.join(', ')})`);
  algorithms.forEach((alg, i) => {
    if (!ALL_ALGORITHMS.includes(alg)) throw new MiddlewareConfigError(r.field(`algorithms[${i}]`), `unsupported algorithm ${JSON.stringify(alg)}; use ${ALL_ALGORITHMS.join(', ')}`);
  });
  const keys = keySource(r);
  // Mixing HMAC and public-key algorithms is how algorithm-confusion attacks work: refuse it.
  const hmac = keys.kind === 'hmac';
  const wrong = algorithms.findIndex((alg) => (HMAC_ALGORITHMS as readonly string[]).includes(alg) !== hmac);
  if (wrong >= 0) {
    const why = hmac ? 'hmacSecret only verifies HS256, HS384 and HS512' : 'HS* algorithms need hmacSecret, not public keys';
    throw new MiddlewareConfigError(r.field(`algorithms[${wrong}]`), `${algorithms[wrong]}: ${why}`);
  }
  const issuer = r.stringList('issuer', true) ?? null;
  const audience = r.stringList('audience', true) ?? null;
  const clockSkewMs = r.duration('clockSkew') ?? 30_000;
  const requiredClaims = r.stringList('requiredClaims') ?? [];
  const claimsToHeaders = r.stringMap('claimsToHeaders') ?? {};
  for (const [claim, header] of Object.entries(claimsToHeaders)) {
    if (!HEADER_NAME.test.test(header)) throw new MiddlewareConfigError(r.field(`claimsToHeaders.${claim}`), `${JSON.stringify(header)} is not a valid header name`);
  }
  const tokenHeader = r.string('tokenHeader', HEADER_NAME) ?? 'Authorization';
  const tokenCookie = r.string('tokenCookie', COOKIE_NAME) ?? null;
  const forwardToken = r.boolean('forwardToken') ?? true;
  const realm = r.string('realm', { test: /^[^"\\\r\n]*$/, hint: 'a realm without quotes, backslashes or line breaks' }) ?? 'Restricted';
  r.finish();
  return { algorithms: algorithms as JwtAlgorithm[], keys, issuer, audience, clockSkewMs, requiredClaims, claimsToHeaders, tokenHeader, tokenCookie, forwardToken, realm };
}
