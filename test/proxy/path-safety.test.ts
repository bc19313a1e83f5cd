import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasDotSegment } from '../../src/proxy/path-safety.ts';

test('dot-segments are found, literal or percent-encoded, with any separator', () => {
  for (const path of ['/..', '/.', '/a/../b', '/a/./b', '/a/..', '/%2e%2e/x', '/%2E./x', '/a/..%2fadmin', '/a%2f..%2fb', '/a\\..\\b', '/a%5c..%5cb', '/.%2e']) {
    assert.equal(hasDotSegment(path), true, path);
  }
});

test('ordinary paths pass, dots inside names included', () => {
  for (const path of ['/', '/index.html', '/a/b.c/d', '/...', '/a/.well-known/x', '/v1.2/..x', '/%2e%2e%2e', '/a%20b', '/a%2', '/%']) {
    assert.equal(hasDotSegment(path), false, path);
  }
});
