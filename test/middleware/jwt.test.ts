import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { closedPort } from '../support/ports.ts';
import { fakeUpstream, run } from '../support/context.ts';
import { chainOf, configError, recordingEnv } from './helpers.ts';

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

type PrivateKey = Parameters<SignJWT['sign']>[0];

function sign(key: SigningKey | { alg: string; kid?: string; privateKey: PrivateKey }, claims: Record<string, unknown> = {}, options: { expiresIn?: string | number; issuer?: string; audience?: string } = {}): Promise<string> {
  let jwt = new SignJWT({ sub: 'user-1', ...claims }).setProtectedHeader({ alg: key.alg, ...('kid' in key && key.kid ? { kid: key.kid } : {}) }).setIssuedAt();
  jwt = jwt.setIssuer(options.issuer ?? 'https://issuer.test').setAudience(options.audience ?? 'shop');
  jwt = jwt.setExpirationTime(options.expiresIn ?? '5m');
  return jwt.sign(key.privateKey);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('jwt', () => {
  let server: http.Server;
  let jwksUrl: string;
  let published: JWK[] = [];
  let fetches = 0;
  let rsa: SigningKey;
  let ec: SigningKey;
  const env = recordingEnv();

  before(async () => {
    [rsa, ec] = await Promise.all([signingKey('rsa-1', 'RS256'), signingKey('ec-1', 'ES256')]);
    published = [rsa.jwk, ec.jwk];
    server = http.createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  after(async () => {
    await env.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const jwksConfig = (extra: Record<string, unknown> = {}) => ({ algorithms: ['RS256', 'ES256'], jwksUrl, issuer: ['https://issuer.test'], audience: ['shop'], ...extra });

  it('accepts valid RS256 and ES256 tokens from the JWKS, copies claims to headers, logs the subject', async () => {
    const chain = chainOf('jwt', jwksConfig({ claimsToHeaders: { sub: 'X-User', groups: 'X-Groups', email: 'X-Email' } }), env);
    for (const key of [rsa, ec]) {
      const upstream = fakeUpstream();
      const token = await sign(key, { groups: ['admin', 'dev'] });
      const ctx = await run(chain, { headers: [['authorization', `Bearer ${token}`], ['x-user', 'forged'], ['X-Email', 'forged@evil.test']] }, upstream);
      assert.equal(ctx.response!.status, 200, key.alg);
      assert.equal(ctx.logFields.user, 'user-1');
      const headers = upstream.calls[0]!.headers;
      assert.deepEqual(headers.filter(([n]) => /^x-/i.test(n)), [['X-User', 'user-1'], ['X-Groups', '["admin","dev"]']], 'client-sent claim headers are dropped, even for absent claims');
      assert.ok(headers.some(([n]) => n === 'authorization'), 'the token goes upstream by default');
    }
  });

  it('refuses with 401 and an invalid_token challenge: bad signature, expired, wrong issuer or audience, unknown algorithm, alg none', async () => {
    const chain = chainOf('jwt', jwksConfig({ clockSkew: '0s', realm: 'shop' }), env);
    const stranger = await signingKey('rsa-1', 'RS256'); // same kid, another key
    const hmacToken = await sign({ alg: 'HS256', kid: 'rsa-1', privateKey: new TextEncoder().encode('x'.repeat(32)) });
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'a' })).toString('base64url')}.`;
    const tokens = {
      'bad signature': await sign(stranger),
      expired: await sign(rsa, {}, { expiresIn: Math.floor(Date.now() / 1000) - 10 }),
      'wrong issuer': await sign(rsa, {}, { issuer: 'https://other.test' }),
      'wrong audience': await sign(rsa, {}, { audience: 'billing' }),
      'HS256 not allowed': hmacToken,
      'alg none': none,
      garbage: 'not.a.jwt',
    };
    for (const [why, token] of Object.entries(tokens)) {
      const upstream = fakeUpstream();
      const ctx = await run(chain, { headers: bearer(token) }, upstream);
      assert.equal(ctx.response!.status, 401, why);
      assert.equal(ctx.header('www-authenticate'), 'Bearer realm="shop", error="invalid_token"', why);
      assert.equal(upstream.calls.length, 0, why);
    }
    const missing = await run(chain, {});
    assert.equal(missing.response!.status, 401);
    assert.equal(missing.header('www-authenticate'), 'Bearer realm="shop"');
  });

  it('allows the configured clock skew on expiry', async () => {
    const token = await sign(rsa, {}, { expiresIn: Math.floor(Date.now() / 1000) - 10 });
    assert.equal((await run(chainOf('jwt', jwksConfig({ clockSkew: '1m' }), env), { headers: bearer(token) })).response!.status, 200);
    assert.equal((await run(chainOf('jwt', jwksConfig({ clockSkew: '1s' }), env), { headers: bearer(token) })).response!.status, 401);
  });

  it('follows key rotation: a token with a new kid makes it fetch the JWKS again', async () => {
    const chain = chainOf('jwt', jwksConfig({ jwksCooldown: '0s' }), recordingEnv());
    assert.equal((await run(chain, { headers: bearer(await sign(rsa)) })).response!.status, 200);
    const before = fetches;
    const rotated = await signingKey('rsa-2', 'RS256');
    published = [rotated.jwk, ec.jwk];
    assert.equal((await run(chain, { headers: bearer(await sign(rotated)) })).response!.status, 200);
    assert.equal(fetches, before + 1);
    // The retired key's kid is gone after the refetch: its tokens are refused.
    assert.equal((await run(chain, { headers: bearer(await sign(rsa)) })).response!.status, 401);
    published = [rsa.jwk, ec.jwk];
  });

  it('fails closed with 503 when the JWKS cannot be fetched, and logs it', async () => {
    const down = recordingEnv();
    const chain = chainOf('jwt', jwksConfig({ jwksUrl: `http://127.0.0.1:${await closedPort()}/jwks`, jwksTimeout: '500ms' }), down);
    const upstream = fakeUpstream();
    const ctx = await run(chain, { headers: bearer(await sign(rsa)) }, upstream);
    assert.equal(ctx.response!.status, 503);
    assert.equal(upstream.calls.length, 0);
    assert.equal(down.logs.filter((l) => l.level === 'warn').length, 1);
    await run(chain, { headers: bearer(await sign(rsa)) });
    assert.equal(down.logs.filter((l) => l.level === 'warn').length, 1, 'an outage is not logged for every request');
  });

  it('verifies with PEM public keys (picking the key that fits the algorithm) or an HMAC secret', async () => {
    const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const chain = chainOf('jwt', { algorithms: ['RS256', 'ES256'], publicKeys: [ecPem.publicKey.export({ type: 'spki', format: 'pem' }), rsaPem.publicKey.export({ type: 'spki', format: 'pem' })] });
    assert.equal((await run(chain, { headers: bearer(await sign({ alg: 'RS256', privateKey: rsaPem.privateKey })) })).response!.status, 200);
    assert.equal((await run(chain, { headers: bearer(await sign({ alg: 'ES256', privateKey: ecPem.privateKey })) })).response!.status, 200);
    assert.equal((await run(chain, { headers: bearer(await sign(rsa)) })).response!.status, 401);

    const secret = 'a-shared-secret-of-at-least-32-bytes!';
    const hmac = chainOf('jwt', { algorithms: ['HS256'], hmacSecret: secret, tokenCookie: 'session', forwardToken: false, tokenHeader: 'X-Token' });
    const token = await sign({ alg: 'HS256', privateKey: createSecretKey(Buffer.from(secret)) });
    const upstream = fakeUpstream();
    assert.equal((await run(hmac, { headers: { 'x-token': token } }, upstream)).response!.status, 200);
    assert.deepEqual(upstream.calls[0]!.headers, [], 'forwardToken: false removes the token header');
    assert.equal((await run(hmac, { headers: { cookie: `session=${token}` } })).response!.status, 200, 'from the cookie');
  });

  it('a remembered HMAC token still stops working when it expires', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!';
    const hmac = chainOf('jwt', { algorithms: ['HS256'], hmacSecret: secret, clockSkew: '0s' });
    const exp = Math.floor(Date.now() / 1000) + 1;
    const token = await new SignJWT({ sub: 'short' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(createSecretKey(Buffer.from(secret)));
    assert.equal((await run(hmac, { headers: bearer(token) })).response!.status, 200);
    assert.equal((await run(hmac, { headers: bearer(token) })).response!.status, 200, 'second use, from the cache');
    // Waits for the token's own expiry (at most about a second): that moment is what is tested.
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    assert.equal((await run(hmac, { headers: bearer(token) })).response!.status, 401);
  });

  it('rejects bad configuration naming the field', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
    assert.match(configError('jwt', { jwksUrl: 'https://a.test/jwks' })!, /^algorithms: is required: list the accepted algorithms/);
    assert.equal(configError('jwt', { algorithms: ['none'], jwksUrl: 'https://a.test/jwks' }), 'algorithms[0]: unsupported algorithm "none"; use HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA');
    assert.equal(configError('jwt', { algorithms: ['RS256'] }), 'jwksUrl: exactly one of jwksUrl, publicKeys or hmacSecret is required');
    assert.equal(configError('jwt', { algorithms: ['RS256'], jwksUrl: 'https://a.test/jwks', publicKeys: [pem] }), 'jwksUrl: exactly one of jwksUrl, publicKeys or hmacSecret is required');
    assert.equal(configError('jwt', { algorithms: ['RS256', 'HS256'], jwksUrl: 'https://a.test/jwks' }), 'algorithms[1]: HS256: HS* algorithms need hmacSecret, not public keys');
    assert.equal(configError('jwt', { algorithms: ['RS256'], hmacSecret: 'x'.repeat(32) }), 'algorithms[0]: RS256: hmacSecret only verifies HS256, HS384 and HS512');
    assert.equal(configError('jwt', { algorithms: ['HS256'], hmacSecret: 'short' }), 'hmacSecret: must be at least 32 bytes long, got 5');
    assert.match(configError('jwt', { algorithms: ['ES256'], publicKeys: ['-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----'] })!, /^publicKeys\[0\]: not a PEM public key/);
    assert.equal(configError('jwt', { algorithms: ['RS256'], jwksUrl: 'ftp://a.test/jwks' }), 'jwksUrl: must be an http:// or https:// URL');
    assert.equal(configError('jwt', { algorithms: ['ES256'], publicKeys: [pem], jwksCooldown: '1s' }), 'jwksCacheDuration: jwks* settings need jwksUrl');
    assert.equal(configError('jwt', { algorithms: ['ES256'], publicKeys: [pem], claimsToHeaders: { sub: 'bad header' } }), 'claimsToHeaders.sub: "bad header" is not a valid header name');
    assert.equal(configError('jwt', { algorithms: ['ES256'], publicKeys: [pem], issuer: 5 }), 'issuer: must be a list of strings, got number 5');
  });
});
