// ingress-nginx's annotations and class through the whole gateway (--ingress-nginx-compat): manifests
// written for ingress-nginx, real clients and backends, the behaviour ingress-nginx documents.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { AccessLog } from '../../src/observability/index.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressYaml, serviceYaml } from '../support/manifests.ts';

const N = 'nginx.ingress.kubernetes.io/';

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'condition not reached within 5 s');
}
const HTPASSWD = 'alice:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=\n'; // password "hello"
const NGINX_CLASS = stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });

/** An auth service as auth-url expects: 200 with X-User for "Bearer good", 401 otherwise. */
async function startAuthService(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.headers.authorization === 'Bearer good') res.writeHead(200, { 'x-user': 'alice', 'x-other': 'dropped' }).end();
    else res.writeHead(401).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('ingress-nginx Ingresses through the gateway', () => {
  let gw: RunningGateway;
  let web: TestBackend;
  let v2: TestBackend;
  let failing: TestBackend;
  let auth: Awaited<ReturnType<typeof startAuthService>>;
  let logDir: string;
  let accessLog: AccessLog;

  before(async () => {
    web = await startBackend('web');
    v2 = await startBackend('web-v2');
    failing = await startBackend('failing');
    failing.handler = (req, res) => {
      if (req.url === '/moved') {
        res.writeHead(302, { location: 'http://internal/app/next', 'set-cookie': ['sid=1; Path=/app/cart; Domain=internal'] }).end();
        return;
      }
      const status = Number(req.url!.slice(1)) || 200;
      res.writeHead(status, { 'content-type': 'text/html', 'x-app': 'kept' }).end(`<pre>stack trace of ${status}</pre>`);
    };
    auth = await startAuthService();
    logDir = await mkdtemp(path.join(tmpdir(), 'tideway-nginx-access-'));
    accessLog = new AccessLog({ destination: path.join(logDir, 'access.log') });
    const site = (name: string, annotations: Record<string, string>, path = '/', pathType = 'Prefix', service = 'web') =>
      ingressYaml({ name, host: `${name}.test`, className: 'nginx', paths: [{ path, pathType, service }], annotations });
    gw = await startGateway({
      'class.yaml': NGINX_CLASS,
      'svc.yaml': [serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }), serviceYaml({ name: 'web-v2', endpoints: [['127.0.0.1', v2.port]] }),
        serviceYaml({ name: 'failing', endpoints: [['127.0.0.1', failing.port]] }), serviceYaml({ name: 'empty', endpoints: [] })].join('---\n'),
      'secret.yaml': stringify({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'htpasswd', namespace: 'default' }, stringData: { auth: HTPASSWD } }),
      'ing.yaml': [
        site('rewrite', { [`${N}use-regex`]: 'true', [`${N}rewrite-target`]: '/$2' }, '/api(/|$)(.*)', 'ImplementationSpecific'),
        site('implied', { [`${N}rewrite-target`]: '/v1/$1' }, '/old/(.*)', 'ImplementationSpecific'),
        site('canary', {}),
        site('canary', { [`${N}canary`]: 'true', [`${N}canary-by-header`]: 'X-Canary', [`${N}canary-weight`]: '0' }, '/', 'Prefix', 'web-v2').replace('name: canary', 'name: canary-v2'),
        site('weighted', {}),
        site('weighted', { [`${N}canary`]: 'true', [`${N}canary-by-header`]: 'X-Canary', [`${N}canary-weight`]: '100' }, '/', 'Prefix', 'web-v2').replace('name: weighted', 'name: weighted-v2'),
        site('extauth', { [`${N}auth-url`]: auth.url, [`${N}auth-response-headers`]: 'X-User' }),
        site('basic', { [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'htpasswd', [`${N}auth-realm`]: 'Staff only' }),
        site('digest', { [`${N}auth-type`]: 'digest', [`${N}auth-secret`]: 'htpasswd' }),
        site('allow', { [`${N}whitelist-source-range`]: '10.0.0.0/8' }),
        site('local', { [`${N}allowlist-source-range`]: '127.0.0.0/8' }),
        site('badcidr', { [`${N}whitelist-source-range`]: '10.0.0.0/33' }),
        site('limit', { [`${N}limit-rps`]: '1', [`${N}limit-burst-multiplier`]: '1' }),
        site('conns', { [`${N}limit-connections`]: '1' }, '/', 'Prefix', 'failing'),
        site('exempt', { [`${N}limit-rps`]: '1', [`${N}limit-burst-multiplier`]: '1', [`${N}limit-allowlist`]: '127.0.0.1/32' }),
        site('errors', { [`${N}custom-http-errors`]: '500,503' }, '/', 'Prefix', 'failing'),
        site('rewritten', {
          [`${N}proxy-redirect-from`]: 'http://internal/app/', [`${N}proxy-redirect-to`]: '/',
          [`${N}proxy-cookie-path`]: '/app/ /', [`${N}proxy-cookie-domain`]: 'internal rewritten.test',
        }, '/', 'Prefix', 'failing'),
        site('fallback', { [`${N}default-backend`]: 'web-v2' }, '/', 'Prefix', 'empty'),
        site('mirrored', { [`${N}mirror-target`]: `http://127.0.0.1:${v2.port}/copy$request_uri`, [`${N}mirror-host`]: 'shadow.test' }),
        site('twin', { [`${N}from-to-www-redirect`]: 'true' }),
        site('aliased', { [`${N}server-alias`]: 'alias.test, rewrite.test' }),
        site('cors', { [`${N}enable-cors`]: 'true' }),
        site('moved', { [`${N}permanent-redirect`]: 'https://new.test/' }),
        site('root', { [`${N}app-root`]: '/app' }),
        site('prefix', { [`${N}x-forwarded-prefix`]: '/shop', [`${N}upstream-vhost`]: 'internal.svc' }),
        site('body', { [`${N}proxy-body-size`]: '1k' }),
        site('snippet', { [`${N}configuration-snippet`]: 'more_set_headers "X-Evil: 1";' }),
        site('quiet', { [`${N}enable-access-log`]: 'false' }),
        site('logged', { [`${N}enable-access-log`]: 'true' }),
        stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'legacy', namespace: 'default', annotations: { 'kubernetes.io/ingress.class': 'nginx' } }, spec: { rules: [{ host: 'legacy.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } }),
      ].join('---\n'),
    }, ['--ingress-nginx-compat'], accessLog);
  });
  after(async () => {
    await gw?.close();
    await web?.close();
    await v2?.close();
    await failing?.close();
    await auth?.close();
    await accessLog?.close();
    await rm(logDir, { recursive: true, force: true });
  });

  const get = (host: string, path = '/', headers: Record<string, string> = {}, method = 'GET', body?: string) =>
    request(gw.port, { method, path, headers: { host, ...headers }, ...(body === undefined ? {} : { body }) });
  const upstreamOf = (res: { body: string }) => JSON.parse(res.body) as { backend: string; url: string; headers: Record<string, string> };

  it('serves ingress-nginx\'s class and the legacy class annotation', async () => {
    assert.equal((await get('legacy.test')).status, 200);
  });

  it('rewrite-target with use-regex and capture groups; regex paths are case-insensitive', async () => {
    assert.equal(upstreamOf(await get('rewrite.test', '/api/users?id=7')).url, '/users?id=7');
    assert.equal(upstreamOf(await get('rewrite.test', '/API/users')).url, '/users');
    assert.equal(upstreamOf(await get('rewrite.test', '/api')).url, '/');
  });

  it('rewrite-target alone makes the path a regex', async () => {
    assert.equal(upstreamOf(await get('implied.test', '/old/a/b')).url, '/v1/a/b');
  });

  it('canary by header together with weight: always, never, then the weight decides', async () => {
    assert.equal(upstreamOf(await get('canary.test', '/', { 'x-canary': 'always' })).backend, 'web-v2');
    assert.equal(upstreamOf(await get('canary.test', '/', { 'x-canary': 'never' })).backend, 'web');
    assert.equal(upstreamOf(await get('canary.test')).backend, 'web');
    assert.equal(upstreamOf(await get('weighted.test')).backend, 'web-v2');
    assert.equal(upstreamOf(await get('weighted.test', '/', { 'x-canary': 'never' })).backend, 'web');
  });

  it('auth-url with auth-response-headers: 401 passes to the client, 2xx copies the listed headers upstream', async () => {
    assert.equal((await get('extauth.test')).status, 401);
    const ok = await get('extauth.test', '/', { authorization: 'Bearer good', 'x-user': 'mallory' });
    assert.equal(ok.status, 200);
    const seen = upstreamOf(ok).headers;
    assert.equal(seen['x-user'], 'alice');
    assert.equal(seen['x-other'], undefined);
  });

  it('auth-type basic with auth-secret and auth-realm', async () => {
    const refused = await get('basic.test');
    assert.equal(refused.status, 401);
    assert.match(String(refused.headers['www-authenticate']), /realm="Staff only"/);
    assert.equal((await get('basic.test', '/', { authorization: `Basic ${Buffer.from('alice:hello').toString('base64')}` })).status, 200);
  });

  it('auth-type digest fails closed', async () => {
    assert.equal((await get('digest.test')).status, 500);
    assert.equal((await get('digest.test', '/', { authorization: `Basic ${Buffer.from('alice:hello').toString('base64')}` })).status, 500);
  });

  it('whitelist-source-range and allowlist-source-range; a bad CIDR denies everyone and others keep serving', async () => {
    assert.equal((await get('allow.test')).status, 403);
    assert.equal((await get('local.test')).status, 200);
    assert.equal((await get('badcidr.test')).status, 500);
  });

  it('limit-rps answers 503, as ingress-nginx', async () => {
    assert.equal((await get('limit.test')).status, 200);
    assert.equal((await get('limit.test')).status, 503);
  });

  it('custom-http-errors: listed statuses keep their status with the gateway\'s body; others pass unchanged', async () => {
    const hidden = await get('errors.test', '/500');
    assert.deepEqual([hidden.status, hidden.body, hidden.headers['content-type'], hidden.headers['x-app']], [500, '500 Internal Server Error\n', 'text/plain; charset=utf-8', 'kept']);
    const shown = await get('errors.test', '/404');
    assert.deepEqual([shown.status, shown.body], [404, '<pre>stack trace of 404</pre>']);
  });

  it('proxy-redirect-from/-to and proxy-cookie-path/-domain rewrite the backend\'s Location and cookies', async () => {
    const res = await get('rewritten.test', '/moved');
    assert.equal(res.headers.location, '/next');
    assert.deepEqual(res.headers['set-cookie'], ['sid=1; Path=/cart; Domain=rewritten.test']);
  });

  it('default-backend serves the paths whose Service has no endpoint', async () => {
    assert.equal(upstreamOf(await get('fallback.test', '/x')).backend, 'web-v2');
  });

  it('limit-connections: a second request of the same client while the first waits gets 503', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = failing.handler!;
    failing.handler = (req, res, body) => {
      if (req.url === '/slow') void held.then(() => res.writeHead(200).end('slow'));
      else previous(req, res, body);
    };
    const first = get('conns.test', '/slow');
    await waitUntil(() => failing.received.some((r) => r.url === '/slow'));
    assert.equal((await get('conns.test', '/fast')).status, 503);
    release();
    assert.equal((await first).status, 200);
    assert.equal((await get('conns.test', '/fast')).status, 200);
    failing.handler = previous;
  });

  it('mirror-target: a copy of the request reaches the mirror, with $request_uri and mirror-host; the client gets the real answer', async () => {
    const res = await get('mirrored.test', '/a/b?c=1', { 'x-trace': 't1' });
    assert.equal(upstreamOf(res).backend, 'web');
    await waitUntil(() => v2.received.some((r) => r.url === '/copy/a/b?c=1'));
    const copy = v2.received.find((r) => r.url === '/copy/a/b?c=1')!;
    assert.deepEqual([copy.method, copy.headers.host, copy.headers['x-trace']], ['GET', 'shadow.test', 't1']);
  });

  it('limit-allowlist exempts its clients', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await get('exempt.test')).status, 200);
  });

  it('from-to-www-redirect: the www. twin answers 308 to the host, path and query kept', async () => {
    const res = await get('www.twin.test', '/a/b?c=1');
    assert.equal(res.status, 308);
    assert.match(String(res.headers.location), /^http:\/\/twin\.test(:\d+)?\/a\/b\?c=1$/);
    assert.equal((await get('twin.test', '/a')).status, 200);
  });

  it('server-alias serves the Ingress under the alias, but never takes a host another Ingress serves', async () => {
    assert.equal(upstreamOf(await get('alias.test', '/x')).url, '/x');
    // rewrite.test belongs to the rewrite Ingress: its rewrite still applies there.
    assert.equal(upstreamOf(await get('rewrite.test', '/api/users')).url, '/users');
  });

  it('enable-cors answers preflights with ingress-nginx\'s defaults', async () => {
    const preflight = await get('cors.test', '/', { origin: 'https://app.test', 'access-control-request-method': 'PUT' }, 'OPTIONS');
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], '*');
    assert.match(String(preflight.headers['access-control-allow-methods']), /PATCH/);
    assert.equal(preflight.headers['access-control-max-age'], '1728000');
  });

  it('permanent-redirect and app-root', async () => {
    const moved = await get('moved.test', '/x');
    assert.deepEqual([moved.status, moved.headers.location], [301, 'https://new.test/']);
    const root = await get('root.test');
    assert.deepEqual([root.status, root.headers.location], [302, 'http://root.test/app']);
  });

  it('x-forwarded-prefix and upstream-vhost reach the backend', async () => {
    const seen = upstreamOf(await get('prefix.test')).headers;
    assert.equal(seen['x-forwarded-prefix'], '/shop');
    assert.equal(seen.host, 'internal.svc');
  });

  it('proxy-body-size answers 413 beyond the limit', async () => {
    assert.equal((await get('body.test', '/', { 'content-type': 'text/plain' }, 'POST', 'x'.repeat(2048))).status, 413);
    assert.equal((await get('body.test', '/', { 'content-type': 'text/plain' }, 'POST', 'x'.repeat(100))).status, 200);
  });

  it('enable-access-log "false" writes no access-log line for the Ingress; others are logged', async () => {
    assert.equal((await get('quiet.test', '/q')).status, 200);
    assert.equal((await get('logged.test', '/l')).status, 200);
    // Lines leave in order: once logged.test's is written, quiet.test's would be there before it.
    const hosts = async () => (await readFile(path.join(logDir, 'access.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { host: string }).host);
    for (let i = 0; i < 500 && !(await hosts()).includes('logged.test'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok((await hosts()).includes('logged.test'));
    assert.ok(!(await hosts()).includes('quiet.test'));
  });

  it('a snippet is not executed and the Ingress is served', async () => {
    const res = await get('snippet.test');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-evil'], undefined);
  });

  it('the diagnostics name the Ingress and the nginx annotation', async () => {
    const res = await request(gw.adminPort, { path: '/api/diagnostics' });
    const diagnostics = (JSON.parse(res.body) as { diagnostics: { object: string; field: string; reason: string }[] }).diagnostics;
    const find = (object: string, reason: string) => diagnostics.find((d) => d.object === object && d.reason === reason);
    assert.equal(find('default/snippet', 'SnippetIgnored')?.field, `metadata.annotations["${N}configuration-snippet"]`);
    assert.equal(find('default/badcidr', 'InvalidCidr')?.field ?? find('default/badcidr', 'InvalidAnnotation')?.field, `metadata.annotations["${N}whitelist-source-range"]`);
    assert.equal(find('default/digest', 'InvalidAnnotation')?.field, `metadata.annotations["${N}auth-type"]`);
    const report = (JSON.parse(res.body) as { ingressNginx: { changesBehaviour: boolean; annotations: { ingress: string; annotation: string; verdict: string }[] } }).ingressNginx;
    assert.equal(report.changesBehaviour, true);
    assert.deepEqual(report.annotations.filter((l) => l.ingress === 'default/snippet').map((l) => [l.annotation, l.verdict]), [[`${N}configuration-snippet`, 'ignored']]);
    assert.deepEqual(report.annotations.filter((l) => l.ingress === 'default/rewrite').map((l) => l.verdict), ['supported', 'supported']);
  });
});
