import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { AnyKubeObject } from '../../src/kube/types.ts';
import { migrationReport, NGINX_ANNOTATIONS, translate, type TranslateOptionsInput } from '../../src/translate/index.ts';
import { classlessIngress, clusterState, ingress, ingressClass, path, rule, service, slice, endpoint, webBackend } from './builders.ts';

const N = 'nginx.ingress.kubernetes.io/';
const field = (name: string, prefix = N) => `metadata.annotations[${JSON.stringify(prefix + name)}]`;

function nginxIngress(name: string, annotations: Record<string, string>, paths = [path('/', 'Prefix')], host = 'a.test') {
  return ingress(name, { rules: [rule(host, ...paths)] }, { annotations });
}

function run(objects: AnyKubeObject[], options: TranslateOptionsInput = {}) {
  return translate(clusterState([...objects, ...webBackend()]), options);
}

function firstRoute(result: ReturnType<typeof translate>) {
  return result.table.hosts[0]!.routes[0]!;
}

describe('ingress-nginx class takeover', () => {
  const nginxClass = ingressClass('nginx', 'k8s.io/ingress-nginx');
  const byClass = { ...ingress('by-class', { rules: [rule('a.test', path('/', 'Prefix'))] }), spec: { ingressClassName: 'nginx', rules: [rule('a.test', path('/', 'Prefix'))] } };
  const legacy = classlessIngress('legacy', { rules: [rule('b.test', path('/', 'Prefix'))] }, { annotations: { 'kubernetes.io/ingress.class': 'nginx' } });

  it('ignores ingress-nginx\'s class without --ingress-nginx-compat', () => {
    const { table } = run([nginxClass, byClass, legacy]);
    assert.deepEqual(table.hosts, []);
  });

  it('serves the IngressClass of controller k8s.io/ingress-nginx and the legacy class "nginx" with it', () => {
    const { table, diagnostics } = run([nginxClass, byClass, legacy], { ingressNginxCompat: true });
    assert.deepEqual(table.hosts.map((h) => h.routes[0]!.ingress).sort(), ['by-class', 'legacy']);
    assert.deepEqual(diagnostics, []);
  });

  it('still ignores other controllers\' classes', () => {
    const other = { ...byClass, spec: { ...byClass.spec, ingressClassName: 'traefik' } };
    const { table } = run([ingressClass('traefik', 'traefik.io/ingress-controller'), other], { ingressNginxCompat: true });
    assert.deepEqual(table.hosts, []);
  });
});

describe('ingress-nginx annotations', () => {
  it('are understood on Tideway\'s own Ingresses, and a tideway.dev/ annotation wins', () => {
    const result = run([nginxIngress('web', { [`${N}proxy-read-timeout`]: '120', [`${N}proxy-connect-timeout`]: '3', 'tideway.dev/proxy-connect-timeout': '7s' })]);
    assert.deepEqual(result.diagnostics, []);
    assert.equal(firstRoute(result).options.readTimeoutMs, 120_000);
    assert.equal(firstRoute(result).options.connectTimeoutMs, 7_000);
  });

  it('affinity: INGRESSCOOKIE by default, domain and expires; auth-url with its signin parameter and redirect header', () => {
    const route = firstRoute(run([nginxIngress('web', {
      [`${N}affinity`]: 'cookie', [`${N}session-cookie-domain`]: '.a.test', [`${N}session-cookie-expires`]: '172800',
      [`${N}auth-url`]: 'http://auth.test/verify', [`${N}auth-signin`]: 'https://login.test/', [`${N}auth-signin-redirect-param`]: 'next', [`${N}auth-request-redirect`]: '/back',
    })]));
    const byType = Object.fromEntries(route.middlewares.map((m) => [m.type, m.config]));
    assert.deepEqual(byType.affinity, { cookieName: 'INGRESSCOOKIE', domain: '.a.test', maxAge: '172800s' });
    assert.deepEqual(byType['forward-auth'], { url: 'http://auth.test/verify', signinUrl: 'https://login.test/', signinRedirectParam: 'next', requestRedirect: '/back', passAuthCookies: 'on-success' });
  });

  it('enable-access-log "false" marks the routes; "true" is the default', () => {
    assert.equal(firstRoute(run([nginxIngress('web', { [`${N}enable-access-log`]: 'false' })])).options.accessLog, false);
    assert.equal('accessLog' in firstRoute(run([nginxIngress('web', { [`${N}enable-access-log`]: 'true' })])).options, false);
  });

  it('proxy-ssl-secret verifies only with proxy-ssl-verify "on"; a missing CA Secret keeps the backend unreached', () => {
    const tls = { [`${N}backend-protocol`]: 'HTTPS', [`${N}proxy-ssl-secret`]: 'default/backend-ca', [`${N}proxy-ssl-name`]: 'web.internal' };
    const off = run([nginxIngress('web', tls)]);
    assert.deepEqual(off.diagnostics, []);
    assert.notEqual(firstRoute(off).backend, null);
    const on = run([nginxIngress('web', { ...tls, [`${N}proxy-ssl-verify`]: 'on' })]);
    assert.deepEqual(on.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.reason, d.field]), [['SecretNotFound', field('proxy-ssl-secret')]]);
    assert.equal(firstRoute(on).backend, null);
    const elsewhere = run([nginxIngress('web', { ...tls, [`${N}proxy-ssl-verify`]: 'on', [`${N}proxy-ssl-secret`]: 'other/backend-ca' })]);
    assert.equal(firstRoute(elsewhere).middlewares[0]!.type, 'deny');
  });

  it('rewrite-target implies regex paths', () => {
    const result = run([nginxIngress('web', { [`${N}rewrite-target`]: '/$2' }, [path('/api(/|$)(.*)', 'ImplementationSpecific')])]);
    assert.deepEqual(result.diagnostics, []);
    const route = firstRoute(result);
    assert.equal(route.kind, 'Regex');
    assert.deepEqual(route.middlewares.map((m) => m.type), ['rewrite']);
  });

  it('a custom prefix (--ingress-nginx-annotation-prefix) replaces the default one', () => {
    const result = run([nginxIngress('web', { 'corp.example/proxy-body-size': '8m', [`${N}proxy-body-size`]: '1k' })], { nginxAnnotationPrefix: 'corp.example' });
    assert.equal(firstRoute(result).options.maxBodyBytes, 8 * 1024 * 1024);
  });

  it('force-ssl-redirect redirects without a TLS section', () => {
    const result = run([nginxIngress('web', { [`${N}force-ssl-redirect`]: 'true' })]);
    assert.equal(firstRoute(result).options.sslRedirect, true);
    assert.equal(firstRoute(run([nginxIngress('web', {})])).options.sslRedirect, false);
  });

  it('enable-cors brings ingress-nginx\'s defaults; cors-* without enable-cors is a warning', () => {
    const on = firstRoute(run([nginxIngress('web', { [`${N}enable-cors`]: 'true' })]));
    assert.deepEqual(on.middlewares[0], {
      type: 'cors',
      source: 'annotations',
      config: {
        allowOrigins: ['*'],
        allowMethods: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
        allowHeaders: ['DNT', 'Keep-Alive', 'User-Agent', 'X-Requested-With', 'If-Modified-Since', 'Cache-Control', 'Content-Type', 'Range', 'Authorization'],
        maxAgeSeconds: 1728000,
      },
    });
    const off = run([nginxIngress('web', { [`${N}cors-allow-origin`]: 'https://a.test' })]);
    assert.deepEqual(firstRoute(off).middlewares, []);
    assert.equal(off.diagnostics[0]!.field, field('cors-allow-origin'));
    assert.match(off.diagnostics[0]!.message, /no effect without nginx.ingress.kubernetes.io\/enable-cors/);
  });

  it('limit-rps: burst rps x 5 (or limit-burst-multiplier), refused with 503; limit-rpm per minute', () => {
    const rps = firstRoute(run([nginxIngress('web', { [`${N}limit-rps`]: '10' })])).middlewares[0]!;
    assert.deepEqual([rps.type, rps.config.requestsPerSecond, rps.config.burst, rps.config.statusCode], ['rate-limit', 10, 50, 503]);
    const rpm = firstRoute(run([nginxIngress('web', { [`${N}limit-rpm`]: '120', [`${N}limit-burst-multiplier`]: '2' })])).middlewares[0]!;
    assert.deepEqual([rpm.config.requestsPerSecond, rpm.config.burst], [2, 240]);
  });

  it('snippets are never executed: a Warning naming the Ingress, and the rest is served', () => {
    const result = run([nginxIngress('web', { [`${N}configuration-snippet`]: 'more_set_headers "X: y";', [`${N}server-snippet`]: 'location /x {}', [`${N}proxy-body-size`]: '2m' })]);
    assert.deepEqual(result.diagnostics.map((d) => [d.severity, d.object, d.reason, d.field]), [
      ['warning', 'default/web', 'SnippetIgnored', field('configuration-snippet')],
      ['warning', 'default/web', 'SnippetIgnored', field('server-snippet')],
    ]);
    assert.equal(firstRoute(result).options.maxBodyBytes, 2 * 1024 * 1024);
  });

  it('ignored and approximated annotations are warnings; nginx-only tuning is silent; unknown names are warnings', () => {
    const result = run([nginxIngress('web', { [`${N}service-upstream`]: 'true', [`${N}limit-rps`]: '5', [`${N}proxy-buffering`]: 'on', [`${N}no-such-thing`]: 'x' })]);
    assert.deepEqual(result.diagnostics.map((d) => [d.reason, d.field]), [
      ['NginxAnnotationApproximated', field('limit-rps')],
      ['UnknownAnnotation', field('no-such-thing')],
      ['NginxAnnotationIgnored', field('service-upstream')],
    ]);
  });
});

describe('ingress-nginx annotations: bad input', () => {
  it('a bad CIDR fails closed, named after the nginx annotation; other Ingresses keep serving', () => {
    const bad = nginxIngress('bad', { [`${N}whitelist-source-range`]: '10.0.0.0/33' });
    const good = nginxIngress('good', { [`${N}whitelist-source-range`]: '10.0.0.0/8' }, [path('/', 'Prefix')], 'b.test');
    const result = run([bad, good]);
    const error = result.diagnostics.find((d) => d.severity === 'error')!;
    assert.equal(error.object, 'default/bad');
    assert.equal(error.field, field('whitelist-source-range'));
    const [a, b] = result.table.hosts;
    assert.equal(a!.routes[0]!.middlewares[0]!.type, 'deny');
    assert.equal(b!.routes[0]!.middlewares[0]!.type, 'ip-filter');
  });

  it('auth-type digest, an unknown auth-secret-type and basic without a Secret fail closed', () => {
    const cases: Record<string, string>[] = [
      { [`${N}auth-type`]: 'digest', [`${N}auth-secret`]: 'users' },
      { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users', [`${N}auth-secret-type`]: 'htpasswd' },
      { [`${N}auth-type`]: 'basic' },
      { [`${N}auth-type`]: 'kerberos', [`${N}auth-secret`]: 'users' },
      { [`${N}auth-tls-secret`]: 'default/ca' },
    ];
    for (const annotations of cases) {
      const result = run([nginxIngress('web', annotations)]);
      assert.equal(firstRoute(result).middlewares[0]!.type, 'deny', JSON.stringify(annotations));
      assert.ok(result.diagnostics.some((d) => d.severity === 'error' && d.field.startsWith(`metadata.annotations["${N}auth-`)), JSON.stringify(result.diagnostics));
    }
  });

  it('optional client certificates are not a reason to deny', () => {
    const result = run([nginxIngress('web', { [`${N}auth-tls-secret`]: 'default/ca', [`${N}auth-tls-verify-client`]: 'optional' })]);
    assert.deepEqual(firstRoute(result).middlewares, []);
  });

  it('a non-numeric limit is an error and no limit applies (the default)', () => {
    const result = run([nginxIngress('web', { [`${N}limit-rps`]: 'ten' })]);
    assert.equal(result.diagnostics.find((d) => d.severity === 'error')!.field, field('limit-rps'));
    assert.deepEqual(firstRoute(result).middlewares, []);
  });

  it('an invalid regex, an unknown backend-protocol and an unbalanced capture are named; the rest serves', () => {
    const regex = run([nginxIngress('web', { [`${N}use-regex`]: 'true' }, [path('/a(', 'ImplementationSpecific'), path('/ok', 'Prefix')])]);
    assert.ok(regex.diagnostics.some((d) => d.reason === 'InvalidRegex'));
    assert.equal(firstRoute(regex).path, '/ok');
    const protocol = run([nginxIngress('web', { [`${N}backend-protocol`]: 'FCGI' })]);
    assert.equal(protocol.diagnostics[0]!.field, field('backend-protocol'));
    assert.equal(firstRoute(protocol).backend !== null, true);
    const capture = run([nginxIngress('web', { [`${N}rewrite-target`]: '/$3' }, [path('/api/(.*)', 'ImplementationSpecific')])]);
    const error = capture.diagnostics.find((d) => d.severity === 'error');
    assert.ok(error, JSON.stringify(capture.diagnostics));
    assert.equal(error.field, field('rewrite-target'));
  });
});

describe('ingress-nginx extra host names', () => {
  it('server-alias: a taken name is a warning, an IP is an error; the other aliases serve', () => {
    const result = run([
      nginxIngress('web', { [`${N}server-alias`]: 'b.test, 10.0.0.1, c.test' }),
      nginxIngress('other', {}, [path('/', 'Prefix')], 'b.test'),
    ]);
    assert.deepEqual(result.table.hosts.map((h) => [h.host, h.routes[0]!.ingress]), [['a.test', 'web'], ['b.test', 'other'], ['c.test', 'web']]);
    assert.deepEqual(result.diagnostics.filter((d) => d.reason !== 'NginxAnnotationApproximated').map((d) => [d.severity, d.reason, d.field]), [
      ['warning', 'HostAlreadyServed', field('server-alias')],
      ['error', 'InvalidAnnotation', field('server-alias')],
    ]);
  });

  it('custom-http-errors and default-backend: bad values are errors and change nothing', () => {
    const result = run([nginxIngress('web', { [`${N}custom-http-errors`]: '404,abc', [`${N}default-backend`]: 'No_Such' })]);
    assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.field), [field('default-backend'), field('custom-http-errors')]);
    assert.deepEqual(firstRoute(result).middlewares, []);
    const missing = run([nginxIngress('web', { [`${N}default-backend`]: 'gone' })]);
    assert.equal(missing.diagnostics.find((d) => d.severity === 'error')?.reason, 'ServiceNotFound');
    assert.notEqual(firstRoute(missing).backend, null);
  });

  it('proxy-cookie-path with one word, and proxy-redirect-from without -to, are errors; nothing is rewritten', () => {
    const result = run([nginxIngress('web', { [`${N}proxy-cookie-path`]: '/app/', [`${N}proxy-redirect-from`]: 'http://a/' })]);
    assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.field), [field('proxy-redirect-from'), field('proxy-cookie-path')]);
    assert.deepEqual(firstRoute(result).middlewares, []);
  });

  it('limit-connections with a bad allowlist CIDR fails closed; a non-numeric one is an error and no limit', () => {
    const bad = run([nginxIngress('web', { [`${N}limit-connections`]: '2', [`${N}limit-allowlist`]: 'nope' })]);
    assert.equal(firstRoute(bad).middlewares[0]!.type, 'deny');
    assert.ok(bad.diagnostics.some((d) => d.severity === 'error' && d.field === field('limit-connections')), JSON.stringify(bad.diagnostics));
    const nan = run([nginxIngress('web', { [`${N}limit-connections`]: 'two' })]);
    assert.deepEqual(firstRoute(nan).middlewares, []);
    assert.equal(nan.diagnostics.find((d) => d.severity === 'error')?.field, field('limit-connections'));
  });

  it('mirror-target with an unknown variable or no URL is an error; nothing is mirrored', () => {
    for (const target of ['http://m.test$request_body', 'not a url']) {
      const result = run([nginxIngress('web', { [`${N}mirror-target`]: target })]);
      assert.equal(result.diagnostics.find((d) => d.severity === 'error')?.field, field('mirror-target'), target);
      assert.deepEqual(firstRoute(result).middlewares, []);
    }
  });

  it('a bad limit-allowlist CIDR fails closed', () => {
    const result = run([nginxIngress('web', { [`${N}limit-rps`]: '5', [`${N}limit-whitelist`]: '1.2.3.4/99' })]);
    assert.equal(firstRoute(result).middlewares[0]!.type, 'deny');
    assert.ok(result.diagnostics.some((d) => d.severity === 'error' && d.field === field('limit-whitelist')), JSON.stringify(result.diagnostics));
  });
});

describe('ingress-nginx canary Ingresses', () => {
  const canaryObjects = (annotations: Record<string, string>) => [
    nginxIngress('main', {}),
    nginxIngress('canary', { [`${N}canary`]: 'true', ...annotations }, [path('/', 'Prefix', 'web-v2')]),
    service('web-v2'),
    slice('web-v2-1', 'web-v2', [{ port: 8080 }], [endpoint('10.0.0.2')]),
  ];

  it('the canary Ingress becomes a canary middleware on the main route, with its rules', () => {
    const result = run(canaryObjects({ [`${N}canary-by-header`]: 'X-Canary', [`${N}canary-weight`]: '20' }));
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.table.hosts.length, 1);
    const route = firstRoute(result);
    assert.equal(route.ingress, 'main');
    assert.deepEqual(route.middlewares.map((m) => [m.type, m.config.header, m.config.weight]), [['canary', 'X-Canary', 20]]);
    assert.match(String(route.middlewares[0]!.config.backend), /web-v2/);
  });

  it('a canary without a main Ingress serves nothing and says so', () => {
    const objects = canaryObjects({ [`${N}canary-weight`]: '20' }).slice(1);
    const result = run(objects);
    assert.deepEqual(result.table.hosts, []);
    assert.equal(result.diagnostics[0]!.reason, 'CanaryWithoutMain');
  });

  it('a bad weight is an error on the canary Ingress; the main Ingress serves without a canary', () => {
    const result = run(canaryObjects({ [`${N}canary-weight`]: 'half' }));
    assert.equal(result.diagnostics[0]!.object, 'default/canary');
    assert.deepEqual(firstRoute(result).middlewares, []);
  });
});

describe('migration report and docs', () => {
  it('one line per Ingress and annotation; partly-supported values that match exactly count as supported', () => {
    const state = clusterState([nginxIngress('web', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'u', [`${N}configuration-snippet`]: 'x', [`${N}limit-rps`]: '3' })]);
    const lines = migrationReport(state);
    assert.deepEqual(lines.map((l) => [l.ingress, l.annotation.slice(N.length), l.verdict, l.changesBehaviour]), [
      ['default/web', 'auth-secret', 'supported', false],
      ['default/web', 'auth-type', 'supported', false],
      ['default/web', 'configuration-snippet', 'ignored', true],
      ['default/web', 'limit-rps', 'approximated', true],
    ]);
  });

  it('docs/migrating-from-ingress-nginx.md lists every annotation of the table with its status', () => {
    const doc = readFileSync(new URL('../../docs/migrating-from-ingress-nginx.md', import.meta.url), 'utf8');
    const words = { supported: 'supported', partly: 'partly', not: 'not' };
    const missing = NGINX_ANNOTATIONS.filter((a) => !new RegExp(`^\\| \`${a.name}\` \\| ${words[a.status]} \\|`, 'm').test(doc));
    assert.deepEqual(missing.map((a) => `| \`${a.name}\` | ${a.status} | ${a.note} |`), []);
  });
});

describe('ingress-nginx ConfigMap (--ingress-nginx-configmap)', () => {
  const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ingress-nginx', name: 'controller' }, data }) as unknown as AnyKubeObject;
  const withConfigMap = (objects: AnyKubeObject[]) => {
    const state = clusterState([...objects, ...webBackend()]);
    return translate({ ...state, configMaps: objects.filter((o) => o.kind === 'ConfigMap') as never }, { nginxConfigMap: 'ingress-nginx/controller' });
  };

  it('ingress-nginx\'s defaults apply when the ConfigMap does not set a key (1m body, HSTS, 503 limits)', () => {
    const result = withConfigMap([cm({}), nginxIngress('web', { [`${N}limit-rps`]: '2' })]);
    const route = firstRoute(result);
    assert.equal(route.options.maxBodyBytes, 1024 * 1024);
    assert.equal(route.options.hsts, 'max-age=31536000; includeSubDomains');
    assert.equal(route.middlewares[0]!.config.statusCode, 503);
  });

  it('its keys set the defaults; an annotation still wins', () => {
    const result = withConfigMap([
      cm({ 'proxy-body-size': '8m', 'proxy-read-timeout': '120', hsts: 'false', 'limit-req-status-code': '429', 'force-ssl-redirect': 'true' }),
      nginxIngress('web', { [`${N}limit-rps`]: '2', [`${N}proxy-read-timeout`]: '30' }),
    ]);
    const route = firstRoute(result);
    assert.deepEqual([route.options.maxBodyBytes, route.options.readTimeoutMs, route.options.hsts, route.options.sslRedirect], [8 * 1024 * 1024, 30_000, null, true]);
    assert.equal(route.middlewares[0]!.config.statusCode, 429);
  });

  it('bad values fall back to ingress-nginx\'s default with an error naming the key; a missing ConfigMap is a warning', () => {
    const bad = withConfigMap([cm({ 'proxy-body-size': 'huge', 'use-forwarded-headers': 'true' }), nginxIngress('web', {})]);
    assert.deepEqual(bad.diagnostics.map((d) => [d.kind, d.severity, d.field, d.reason]), [
      ['ConfigMap', 'error', 'data["proxy-body-size"]', 'InvalidConfigMapValue'],
      ['ConfigMap', 'warning', 'data["use-forwarded-headers"]', 'NginxSettingApproximated'],
    ]);
    assert.equal(firstRoute(bad).options.maxBodyBytes, 1024 * 1024);
    const missing = withConfigMap([nginxIngress('web', {})]);
    assert.equal(missing.diagnostics[0]!.reason, 'ConfigMapNotFound');
  });
});

describe('ingress-nginx ConfigMap: access control for every Ingress', () => {
  const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ingress-nginx', name: 'controller' }, data }) as unknown as AnyKubeObject;
  const withConfigMap = (objects: AnyKubeObject[]) => {
    const state = clusterState([...objects, ...webBackend()]);
    return translate({ ...state, configMaps: objects.filter((o) => o.kind === 'ConfigMap') as never }, { nginxConfigMap: 'ingress-nginx/controller' });
  };
  const typesOf = (result: ReturnType<typeof translate>, host: string) => result.table.hosts.find((h) => h.host === host)!.routes[0]!.middlewares;

  it('whitelist-source-range and block-cidrs apply to every Ingress; an annotation replaces the allow list, never the block list', () => {
    const result = withConfigMap([
      cm({ 'whitelist-source-range': '10.0.0.0/8', 'block-cidrs': '192.0.2.0/24' }),
      nginxIngress('plain', {}),
      nginxIngress('own', { [`${N}whitelist-source-range`]: '172.16.0.0/12', [`${N}denylist-source-range`]: '10.1.0.0/16' }, [path('/', 'Prefix')], 'b.test'),
    ]);
    assert.deepEqual(typesOf(result, 'a.test')[0]!.config, { allow: ['10.0.0.0/8'], deny: ['192.0.2.0/24'] });
    assert.deepEqual(typesOf(result, 'b.test')[0]!.config, { allow: ['172.16.0.0/12'], deny: ['10.1.0.0/16', '192.0.2.0/24'] });
  });

  it('global-auth-url guards every Ingress unless it has its own auth-url or enable-global-auth: "false"', () => {
    const result = withConfigMap([
      cm({ 'global-auth-url': 'http://auth.test/verify', 'global-auth-response-headers': 'X-User' }),
      nginxIngress('plain', {}),
      nginxIngress('own', { [`${N}auth-url`]: 'http://other.test/' }, [path('/', 'Prefix')], 'b.test'),
      nginxIngress('exempt', { [`${N}enable-global-auth`]: 'false' }, [path('/', 'Prefix')], 'c.test'),
    ]);
    assert.deepEqual(typesOf(result, 'a.test')[0]!.config, { url: 'http://auth.test/verify', authResponseHeaders: ['X-User'], passAuthCookies: 'on-success' });
    assert.deepEqual(typesOf(result, 'b.test')[0]!.config, { url: 'http://other.test/', passAuthCookies: 'on-success' });
    assert.deepEqual(typesOf(result, 'c.test'), []);
  });

  it('a bad global CIDR or auth URL fails closed on every Ingress, naming the ConfigMap key', () => {
    const result = withConfigMap([cm({ 'whitelist-source-range': '10.0.0.0/99', 'global-auth-url': 'not a url' }), nginxIngress('plain', {})]);
    assert.equal(typesOf(result, 'a.test')[0]!.type, 'deny');
    const fields = result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.field);
    assert.ok(fields.includes('ConfigMap ingress-nginx/controller: data["whitelist-source-range"]'), JSON.stringify(fields));
    assert.ok(fields.includes('ConfigMap ingress-nginx/controller: data["global-auth-url"]'), JSON.stringify(fields));
  });
});
