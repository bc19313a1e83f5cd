import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeUpstream, run } from '../support/context.ts';
import { chainOf, configError } from './helpers.ts';

async function statusFor(config: Record<string, unknown>, clientAddress: string): Promise<number> {
  const upstream = fakeUpstream();
  const ctx = await run(chainOf('ip-filter', config), { clientAddress }, upstream);
  assert.equal(upstream.calls.length, ctx.response!.status === 200 ? 1 : 0);
  return ctx.response!.status;
}

describe('ip-filter', () => {
  it('allow list: only listed addresses pass (IPv4, IPv6, IPv4-mapped)', async () => {
    const config = { allow: ['10.0.0.0/8', '2001:db8::/32'] };
    assert.equal(await statusFor(config, '10.20.30.40'), 200);
    assert.equal(await statusFor(config, '::ffff:10.1.1.1'), 200);
    assert.equal(await statusFor(config, '2001:db8::1'), 200);
    assert.equal(await statusFor(config, '192.168.1.1'), 403);
    assert.equal(await statusFor(config, '2001:db9::1'), 403);
  });

  it('deny list: listed addresses are refused; deny wins over allow', async () => {
    assert.equal(await statusFor({ deny: ['192.0.2.0/24'] }, '192.0.2.7'), 403);
    assert.equal(await statusFor({ deny: ['192.0.2.0/24'] }, '198.51.100.1'), 200);
    const both = { allow: ['10.0.0.0/8'], deny: ['10.0.0.5'] };
    assert.equal(await statusFor(both, '10.0.0.5'), 403);
    assert.equal(await statusFor(both, '10.0.0.6'), 200);
  });

  it('answers 403 in plain text and says why in the access log', async () => {
    const ctx = await run(chainOf('ip-filter', { allow: ['10.0.0.0/8'] }), { clientAddress: '1.2.3.4' });
    assert.equal(ctx.answerBody, '403 Forbidden\n');
    assert.equal(ctx.logFields.denied, 'ip-filter');
  });

  it('rejects bad configuration naming the field', () => {
    assert.equal(configError('ip-filter', { allow: ['10.0.0.0/8', '10.0.0.0/33'] }), 'allow[1]: invalid CIDR "10.0.0.0/33": IPv4 prefix length above 32');
    assert.equal(configError('ip-filter', { deny: ['nope'] }), 'deny[0]: invalid CIDR "nope": not an IPv4 or IPv6 address');
    assert.equal(configError('ip-filter', {}), 'allow: allow or deny (a list of CIDRs) is required');
    assert.equal(configError('ip-filter', { allow: [] }), 'allow: must not be an empty list');
    assert.equal(configError('ip-filter', { allow: '10.0.0.0/8' }), 'allow: must be a list of strings, got string "10.0.0.0/8"');
    assert.equal(configError('ip-filter', { allow: ['10.0.0.0/8'], alow: [] }), 'alow: unknown field');
  });
});
