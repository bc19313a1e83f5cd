import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeUpstream, run, type TestRequest } from '../support/context.ts';
import { chainOf, configError } from './helpers.ts';

const CANARY = 'default/web-v2:80';

async function backendFor(config: Record<string, unknown>, req: TestRequest = {}): Promise<string | null> {
  const upstream = fakeUpstream();
  await run(chainOf('canary', { backend: CANARY, ...config }), req, upstream);
  return upstream.calls[0]!.backend;
}

describe('canary', () => {
  it('by weight: 0 never, 100 always, 50 some of each', async () => {
    assert.equal(await backendFor({ weight: 0 }), 'default/web:80');
    assert.equal(await backendFor({ weight: 100 }), CANARY);
    const chain = chainOf('canary', { backend: CANARY, weight: 1, weightTotal: 2 });
    const upstream = fakeUpstream();
    for (let i = 0; i < 200; i++) await run(chain, {}, upstream);
    const canary = upstream.calls.filter((c) => c.backend === CANARY).length;
    assert.ok(canary > 50 && canary < 150, `about half of 200 requests went to the canary, got ${canary}`);
  });

  it('by header: "always" and "never", or an exact value, or a pattern; other values fall through', async () => {
    const config = { header: 'X-Canary', weight: 0 };
    assert.equal(await backendFor(config, { headers: { 'x-canary': 'always' } }), CANARY);
    assert.equal(await backendFor({ ...config, weight: 100 }, { headers: { 'x-canary': 'never' } }), 'default/web:80');
    assert.equal(await backendFor(config, { headers: { 'x-canary': 'maybe' } }), 'default/web:80');
    assert.equal(await backendFor({ header: 'X-Region', headerValue: 'eu' }, { headers: { 'x-region': 'eu' } }), CANARY);
    assert.equal(await backendFor({ header: 'X-Region', headerValue: 'eu' }, { headers: { 'x-region': 'always' } }), 'default/web:80', 'with a value, "always" is just another value');
    assert.equal(await backendFor({ header: 'X-User', headerPattern: '^(alice|bob)$' }, { headers: { 'x-user': 'bob' } }), CANARY);
    assert.equal(await backendFor({ header: 'X-User', headerPattern: '^(alice|bob)$' }, { headers: { 'x-user': 'carol' } }), 'default/web:80');
  });

  it('by cookie, after the header and before the weight', async () => {
    const config = { header: 'X-Canary', cookie: 'canary', weight: 0 };
    assert.equal(await backendFor(config, { headers: { cookie: 'a=1; canary=always' } }), CANARY);
    assert.equal(await backendFor({ ...config, weight: 100 }, { headers: { cookie: 'canary=never' } }), 'default/web:80');
    assert.equal(await backendFor(config, { headers: { 'x-canary': 'never', cookie: 'canary=always' } }), 'default/web:80', 'the header decides first');
    assert.equal(await backendFor({ ...config, weight: 100 }, { headers: { cookie: 'canary=whatever' } }), CANARY, 'then the weight');
  });

  it('rejects bad configuration naming the field', () => {
    assert.equal(configError('canary', { weight: 10 }), 'backend: is required');
    assert.equal(configError('canary', { backend: CANARY }), 'weight: weight, header or cookie is required to send any request to the canary');
    assert.equal(configError('canary', { backend: CANARY, weight: 101 }), 'weight: must be at most 100, got 101');
    assert.equal(configError('canary', { backend: CANARY, weight: 5, weightTotal: 4 }), 'weight: must be at most 4, got 5');
    assert.equal(configError('canary', { backend: CANARY, headerValue: 'x' }), 'header: is required with headerValue or headerPattern');
    assert.equal(configError('canary', { backend: CANARY, header: 'X', headerValue: 'a', headerPattern: 'b' }), 'headerPattern: headerValue and headerPattern are alternatives: set one');
    assert.equal(configError('canary', { backend: CANARY, header: 'X', headerPattern: '(' }), 'headerPattern: invalid regular expression "(": Invalid regular expression: /(/: Unterminated group');
  });
});
