// Bad keys of upstream-hash (ingress-nginx's upstream-hash-by) name the field and the variable at fault.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configError } from './helpers.ts';

describe('upstream-hash configuration', () => {
  it('takes a key of nginx variables and literal text', () => {
    assert.equal(configError('upstream-hash', { key: '$host$uri' }), null);
    assert.equal(configError('upstream-hash', { key: 'user-$http_x_user_id-$cookie_session-$arg_id' }), null);
  });

  it('refuses a missing key, an unknown variable, a prefix without a name, and a key without variables', () => {
    assert.equal(configError('upstream-hash', {}), 'key: is required');
    assert.match(String(configError('upstream-hash', { key: '$nope' })), /^key: \$nope is not one of /);
    assert.match(String(configError('upstream-hash', { key: '$http_' })), /^key: \$http_ is not one of /);
    assert.equal(configError('upstream-hash', { key: 'fixed' }), 'key: "fixed" has no variable: every request would go to the same endpoint');
    assert.equal(configError('upstream-hash', { key: '$remote_addr', extra: 1 }), 'extra: unknown field');
  });
});
