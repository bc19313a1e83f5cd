// jwt: verifies a bearer token (jose) against an explicit algorithm allow-list and the configured keys:
// a JWKS URL (fetched, cached and re-fetched on an unknown "kid", so key rotation needs no reload), PEM
// public keys, or an HMAC secret. Issuer, audience and expiry (with clock skew) are checked; chosen
// claims are copied to upstream request headers, and client-sent values of those headers are dropped.
// Fail closed: a missing or invalid token gets 401; keys that cannot be fetched get 503.
import type { KeyObject } from 'node:crypto';
import type { JWTPayload, JWTVerifyOptions } from 'jose';
import { lazyModule } from '../../lib/lazy-module.ts';
import { parseJwtConfig, type JwtConfig } from '../config/jwt.ts';
import type { Context, MiddlewareEnvironment, MiddlewareFactory } from '../types.ts';
import { answer } from './answer.ts';
import { cookieValue } from './cookies.ts';

type Verify = (token: string) => Promise<JWTPayload>;

const jose = lazyModule<typeof import('jose')>('jose');

/** jose error codes that mean "the keys could not be obtained", not "the token is bad". */
const UNAVAILABLE_CODES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

export function isKeySourceFailure(err: unknown): boolean {
  return !(err instanceof jose().errors.JOSEError) || UNAVAILABLE_CODES.has(err.code);
}

const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

function keyFitsAlgorithm(key: KeyObject, alg: string): boolean {
  const type = key.asymmetricKeyType;
  if (alg.startsWith('RS') || alg.startsWith('PS')) return type === 'rsa' || (type === 'rsa-pss' && alg.startsWith('PS'));
  if (alg.startsWith('ES')) return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVES[alg];
  if (alg === 'EdDSA') return type === 'ed25519' || type === 'ed448';
  return false;
}

function verifier(c: JwtConfig, env: MiddlewareEnvironment): Verify {
  const { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } = jose();
  const options: JWTVerifyOptions = {
    algorithms: c.algorithms,
    clockTolerance: Math.round(c.clockSkewMs / 1000),
    requiredClaims: c.requiredClaims,
    ...(c.issuer !== null ? { issuer: c.issuer } : {}),
    ...(c.audience !== null ? { audience: c.audience } : {}),
  };
  const keys = c.keys;
  switch (keys.kind) {
    case 'hmac':
      return async (token) => (await jwtVerify(token, keys.secret, options)).payload;
    case 'jwks': {
      // One cache per URL and settings, kept across snapshots: a reload must not refetch every key set.
      const jwks = env.shared(`jwks:${keys.url.href}|${keys.cacheMaxAgeMs}|${keys.cooldownMs}|${keys.timeoutMs}`, () =>
        createRemoteJWKSet(keys.url, { cacheMaxAge: keys.cacheMaxAgeMs, cooldownDuration: keys.cooldownMs, timeoutDuration: keys.timeoutMs }),
      );
      return async (token) => (await jwtVerify(token, jwks, options)).payload;
    }
    case 'public-keys':
      return async (token) => {
        const { alg } = decodeProtectedHeader(token);
        const candidates = keys.keys.filter((key) => typeof alg === 'string' && keyFitsAlgorithm(key, alg));
        if (candidates.length === 0) throw new errors.JWKSNoMatchingKey();
        let failure: unknown;
        for (const key of candidates) {
          try {
            return (await jwtVerify(token, key, options)).payload;
          } catch (err) {
            if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw err;
            failure = err;
          }
        }
        throw failure;
      };
  }
}

function bearerToken(ctx: Context, c: JwtConfig): string | null {
  const header = ctx.request.headers.get(c.tokenHeader);
  if (header !== undefined) {
    const value = header.trim();
    const token = value.slice(0, 7).toLowerCase() === 'bearer ' ? value.slice(7).trim() : value;
    return token || null;
  }
  if (c.tokenCookie !== null) return cookieValue(ctx.request.headers, c.tokenCookie) || null;
  return null;
}

function claimHeaderValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[\r\n\0]/g, ' ');
}

/**
 * Verified tokens are remembered for a short while: signature checks cost tens of microseconds and a
 * client sends the same token with every request. Only with keys fixed by the configuration (an HMAC
 * secret, PEM keys: a change builds a new middleware and so a new cache); with a JWKS every token is
 * checked against the current key set, so a key withdrawn from it is refused at once. An entry lives
 * until the token expires or for VERIFIED_TTL_MS, whichever is sooner. Bounded: oldest entries go first.
 */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 10_000;

class VerifiedTokens {
  private readonly entries = new Map<string, { payload: JWTPayload; until: number }>();

  get(token: string, now: number): JWTPayload | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (now < entry.until) return entry.payload;
    this.entries.delete(token);
    return undefined;
  }

  set(token: string, payload: JWTPayload, now: number): void {
    const until = Math.min(now + VERIFIED_TTL_MS, typeof payload.exp === 'number' ? payload.exp * 1000 : Infinity);
    if (until <= now) return;
    if (this.entries.size >= VERIFIED_MAX) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { payload, until });
  }
}

/** Logs key-source failures at most once per interval: a JWKS outage must not flood the log. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

export const jwtFactory: MiddlewareFactory = {
  type: 'jwt',
  create(config, env) {
    const c = parseJwtConfig(config);
    const verify = verifier(c, env);
    const claimHeaders = Object.entries(c.claimsToHeaders);
    const challenge = { 'www-authenticate': `Bearer realm="${c.realm}"` };
    const invalid = { 'www-authenticate': `Bearer realm="${c.realm}", error="invalid_token"` };
    let lastFailureLogMs = -Infinity;
    const verified = c.keys.kind === 'jwks' ? null : new VerifiedTokens();

    return async (ctx, next) => {
      const token = bearerToken(ctx, c);
      if (token === null) {
        ctx.logFields.denied = 'jwt';
        return answer(ctx, 401, challenge);
      }
      const now = Date.now();
      let payload = verified?.get(token, now);
      if (payload === undefined) try {
        payload = await verify(token);
        verified?.set(token, payload, now);
      } catch (err) {
        if (isKeySourceFailure(err)) {
          const now = performance.now();
          if (now - lastFailureLogMs >= FAILURE_LOG_INTERVAL_MS) {
            lastFailureLogMs = now;
            env.log('warn', 'jwt: verification keys unavailable; answering 503', { error: (err as Error).message });
          }
          ctx.logFields.denied = 'jwt-keys-unavailable';
          return answer(ctx, 503);
        }
        ctx.logFields.denied = 'jwt';
        return answer(ctx, 401, invalid);
      }
      const headers = ctx.request.headers;
      for (const [claim, header] of claimHeaders) {
        headers.delete(header);
        const value = payload[claim];
        if (value !== undefined && value !== null) headers.set(header, claimHeaderValue(value));
      }
      if (!c.forwardToken) headers.delete(c.tokenHeader);
      if (typeof payload.sub === 'string') ctx.logFields.user = payload.sub;
      return next();
    };
  },
};
