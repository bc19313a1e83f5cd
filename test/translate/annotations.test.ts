import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteOptions } from '../../src/routing/spec.ts';
import { DEFAULT_ROUTE_OPTIONS, MIDDLEWARE_ANNOTATIONS, translate, type TranslateOptionsInput } from '../../src/translate/index.ts';
import { clusterState, ingress, path, rule, webBackend } from './builders.ts';

function optionsFor(annotations: Record<string, unknown>, translateOptions: TranslateOptionsInput = {}) {
  const state = clusterState([ingress('web', { rules: [rule('a.test', path('/', 'Prefix'), path('/x', 'Exact'))] }, { annotations: annotations as Record<string, string> }), ...webBackend()]);
  const { table, diagnostics } = translate(state, translateOptions);
  const routes = table.hosts[0]!.routes;
  assert.deepEqual(routes[0]!.options, routes[1]!.options, 'annotations apply to every path of the Ingress');
  return { options: routes[0]!.options, diagnostics };
}

const DEFAULTS: RouteOptions = { ...DEFAULT_ROUTE_OPTIONS, sslRedirect: false }; // no TLS in these tests

describe('route options from annotations', () => {
  it('defaults: connect 5s, read 60s, WebSocket idle 1h, unlimited body, HTTPS redirect where TLS is configured', () => {
    assert.deepEqual(DEFAULT_ROUTE_OPTIONS, { connectTimeoutMs: 5000, readTimeoutMs: 60000, tunnelIdleTimeoutMs: 3_600_000, maxBodyBytes: 0, sslRedirect: true, hsts: null });
    assert.deepEqual(optionsFor({}).options, DEFAULTS);
  });

  const good: [annotation: string, value: string, expected: Partial<RouteOptions>][] = [
    ['proxy-connect-timeout', '30s', { connectTimeoutMs: 30_000 }],
    ['proxy-connect-timeout', '500ms', { connectTimeoutMs: 500 }],
    ['proxy-connect-timeout', '10', { connectTimeoutMs: 10_000 }],
    ['proxy-read-timeout', '1m', { readTimeoutMs: 60_000 }],
    ['proxy-read-timeout', '1m30s', { readTimeoutMs: 90_000 }],
    ['proxy-read-timeout', '120', { readTimeoutMs: 120_000 }],
    ['websocket-idle-timeout', '10m', { tunnelIdleTimeoutMs: 600_000 }],
    ['proxy-body-size', '1m', { maxBodyBytes: 1024 * 1024 }],
    ['proxy-body-size', '512k', { maxBodyBytes: 512 * 1024 }],
    ['proxy-body-size', '2g', { maxBodyBytes: 2 * 1024 ** 3 }],
    ['proxy-body-size', '1000', { maxBodyBytes: 1000 }],
    ['proxy-body-size', '0', { maxBodyBytes: 0 }],
  ];
  for (const [name, value, expected] of good) {
    it(`${name}: ${JSON.stringify(value)}`, () => {
      const { options, diagnostics } = optionsFor({ [`tideway.dev/${name}`]: value });
      assert.deepEqual(diagnostics, []);
      assert.deepEqual(options, { ...DEFAULTS, ...expected });
    });
  }

  const bad: [annotation: string, value: unknown, message: RegExp][] = [
    ['proxy-read-timeout', '30 seconds', /invalid duration "30 seconds"/],
    ['proxy-read-timeout', '-5s', /invalid duration/],
    ['proxy-read-timeout', '0s', /must be greater than zero/],
    ['proxy-connect-timeout', '0', /must be greater than zero/],
    ['proxy-connect-timeout', '1d', /invalid duration "1d"/],
    ['websocket-idle-timeout', 'forever', /invalid duration "forever"/],
    ['proxy-body-size', '1.5m', /invalid size "1.5m"/],
    ['proxy-body-size', '10mb', /invalid size/],
    ['proxy-body-size', 5, /must be a string, got 5/],
    ['use-regex', 'yes', /expected "true" or "false", got "yes"/],
    ['ssl-redirect', 'off', /expected "true" or "false"/],
  ];
  for (const [name, value, message] of bad) {
    it(`${name}: ${JSON.stringify(value)} is an error naming the annotation; the default applies`, () => {
      const { options, diagnostics } = optionsFor({ [`tideway.dev/${name}`]: value });
      assert.deepEqual(options, DEFAULTS);
      assert.equal(diagnostics.length, 1);
      const d = diagnostics[0]!;
      assert.deepEqual([d.severity, d.kind, d.object, d.reason, d.field], ['error', 'Ingress', 'default/web', 'InvalidAnnotation', `metadata.annotations["tideway.dev/${name}"]`]);
      assert.match(d.message, message);
      assert.match(d.message, /the default applies$/);
    });
  }

  it('boolean annotations accept any case', () => {
    const state = clusterState([ingress('web', { rules: [rule('a.test', { path: '/v[0-9]', pathType: 'ImplementationSpecific', backend: { service: { name: 'web', port: { number: 80 } } } })] }, { annotations: { 'tideway.dev/use-regex': 'TRUE' } }), ...webBackend()]);
    assert.equal(translate(state).table.hosts[0]!.routes[0]!.kind, 'Regex');
  });

  it('options come from TranslateOptions.defaults when not annotated', () => {
    const { options } = optionsFor({ 'tideway.dev/proxy-read-timeout': '5s' }, { defaults: { connectTimeoutMs: 1000, readTimeoutMs: 2000, maxBodyBytes: 4096 } });
    assert.deepEqual(options, { ...DEFAULTS, connectTimeoutMs: 1000, readTimeoutMs: 5000, maxBodyBytes: 4096 });
  });

  it('an annotation never reaches another Ingress that shares the host', () => {
    const annotated = ingress('a', { rules: [rule('a.test', path('/a', 'Prefix'))] }, { annotations: { 'tideway.dev/proxy-body-size': '1k', 'tideway.dev/backend-protocol': 'h2c' } });
    const plain = ingress('b', { rules: [rule('a.test', path('/b', 'Prefix'))] });
    const { table } = translate(clusterState([annotated, plain, ...webBackend()]));
    const [a, b] = table.hosts[0]!.routes;
    assert.equal(a!.options.maxBodyBytes, 1024);
    assert.equal(a!.backend, 'default/web:80/h2c');
    assert.equal(b!.options.maxBodyBytes, 0);
    assert.equal(b!.backend, 'default/web:80');
  });
});

describe('unknown annotations', () => {
  it('warn about unknown tideway.dev/ names, with a suggestion for typos', () => {
    const { diagnostics } = optionsFor({ 'tideway.dev/proxy-read-timout': '5s', 'tideway.dev/frobnicate': 'x' });
    assert.deepEqual(
      diagnostics.map((d) => [d.severity, d.reason, d.field, d.message]),
      [
        ['warning', 'UnknownAnnotation', 'metadata.annotations["tideway.dev/frobnicate"]', 'unknown annotation tideway.dev/frobnicate'],
        ['warning', 'UnknownAnnotation', 'metadata.annotations["tideway.dev/proxy-read-timout"]', 'unknown annotation tideway.dev/proxy-read-timout; did you mean tideway.dev/proxy-read-timeout?'],
      ],
    );
  });

  it('do not warn about names reserved for middlewares, or about other prefixes', () => {
    const annotations: Record<string, string> = { 'nginx.ingress.kubernetes.io/rewrite-target': '/', 'kubernetes.io/ingress.class': 'tideway', 'example.com/tideway.dev/x': 'y' };
    for (const name of MIDDLEWARE_ANNOTATIONS) annotations[`tideway.dev/${name}`] = 'anything';
    // Their values are the middleware layer's to validate; here only the names must be known.
    assert.deepEqual(optionsFor(annotations).diagnostics.filter((d) => d.reason === 'UnknownAnnotation'), []);
    assert.ok(MIDDLEWARE_ANNOTATIONS.includes('rate-limit-rps') && MIDDLEWARE_ANNOTATIONS.includes('rewrite-target'));
  });

  it('do not mistake Object.prototype names for known annotations', () => {
    const { diagnostics } = optionsFor({ 'tideway.dev/constructor': 'x', 'tideway.dev/__proto__': 'y' });
    assert.deepEqual(diagnostics.map((d) => d.reason), ['UnknownAnnotation', 'UnknownAnnotation']);
  });
});
