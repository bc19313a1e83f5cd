// Bad configurations of the two mirrors (url-mirror from ingress-nginx annotations, request-mirror from
// HTTPRoute RequestMirror filters) name the field at fault.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configError } from './helpers.ts';

describe('mirror configurations', () => {
  it('url-mirror: body must be a boolean, the URL http(s)', () => {
    assert.match(String(configError('url-mirror', { url: 'http://mirror.test/$request_uri', body: 'on' })), /^body: /);
    assert.match(String(configError('url-mirror', { url: 'ftp://mirror.test/' })), /^url: must be an http:\/\/ or https:\/\/ URL/);
    assert.match(String(configError('url-mirror', { url: 'http://mirror.test/$foo' })), /^url: \$foo is not one of /);
  });

  it('request-mirror: targets need endpoints as "ip:port" and a fraction from 0 to 1', () => {
    assert.equal(configError('request-mirror', { targets: [] }), 'targets: must be a non-empty list');
    assert.equal(configError('request-mirror', { targets: [{ endpoints: ['mirror:80'], fraction: 1 }] }), 'targets[0].endpoints: must list endpoints as "ip:port"');
    assert.equal(configError('request-mirror', { targets: [{ endpoints: ['127.0.0.1:80'], fraction: 2 }] }), 'targets[0].fraction: must be a number from 0 to 1');
  });
});
