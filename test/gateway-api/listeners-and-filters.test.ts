// HTTPS listeners (certificateRefs, SNI), listener isolation between HTTP and HTTPS, and the filters that
// reach other objects: RequestMirror, CORS, ExtensionRef to Tideway Middlewares, per-backend filters.
// Real clients (node:https, http2) and real backends, manifests in files.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';
import { closedPort } from '../support/ports.ts';
import { CertificateFactory, type KeyPair } from '../translate/certs.ts';
import { servedCertificate, tlsSecretYaml } from '../protocols/support/tls.ts';
import { h2Connect, h2Request } from '../protocols/support/h2.ts';

const ref = (name: string, extra: Record<string, unknown> = {}) => ({ name, port: 80, ...extra });

/** Waits until `check` holds, polling every 10 ms for up to 5 s (mirrors arrive after the answer). */
async function eventually(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Gateway listeners and filters through the gateway (files)', () => {
  const certs = new CertificateFactory();
  let secure: KeyPair;
  let other: KeyPair;
  let gw: RunningGateway;
  let httpsPort: number;
  let web: TestBackend;
  let mirrorA: TestBackend;
  let mirrorB: TestBackend;

  before(async () => {
    web = await startBackend('web');
    mirrorA = await startBackend('mirror-a');
    mirrorB = await startBackend('mirror-b');
    secure = certs.create('secure.test');
    other = certs.create('other.test');
    gw = await startGateway({
      'svc.yaml': [
        serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
        serviceYaml({ name: 'mirror-a', endpoints: [['127.0.0.1', mirrorA.port]] }),
        serviceYaml({ name: 'mirror-b', endpoints: [['127.0.0.1', mirrorB.port]] }),
        serviceYaml({ name: 'dead', endpoints: [['127.0.0.1', 1]] }),
      ].join('---\n'),
      'secret.yaml': [tlsSecretYaml('secure', secure), tlsSecretYaml('other', other)].join('---\n'),
      'middleware.yaml': yamlDocs({ apiVersion: 'tideway.dev/v1alpha1', kind: 'Middleware', metadata: { name: 'only-internal', namespace: 'default' }, spec: { ipAllowList: { sourceRange: ['10.0.0.0/8'] } } }),
      'gw.yaml': yamlDocs(
        gatewayClass(),
        gateway('gw', [
          { name: 'http', port: 80, hostname: 'secure.test' },
          { name: 'https', port: 443, protocol: 'HTTPS', hostname: 'secure.test', certificateRefs: [{ name: 'secure' }] },
          { name: 'other', port: 443, protocol: 'HTTPS', hostname: 'other.test', certificateRefs: [{ name: 'other' }] },
          { name: 'plain', port: 80, hostname: 'plain.test' },
        ]),
      ),
      'routes.yaml': yamlDocs(
        httpRoute('app', { parentRefs: [{ name: 'gw', sectionName: 'https' }, { name: 'gw', sectionName: 'other' }], rules: [{ backendRefs: [ref('web')] }] }),
        httpRoute('to-https', { parentRefs: [{ name: 'gw', sectionName: 'http' }], rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }] }),
        httpRoute('plain', {
          parentRefs: [{ name: 'gw', sectionName: 'plain' }],
          rules: [
            { matches: [{ path: { value: '/mirror' } }], backendRefs: [ref('web')], filters: [
              { type: 'RequestMirror', requestMirror: { backendRef: ref('mirror-a') } },
              { type: 'RequestMirror', requestMirror: { backendRef: ref('mirror-b'), percent: 0 } },
              { type: 'RequestMirror', requestMirror: { backendRef: ref('dead') } },
            ] },
            { matches: [{ path: { value: '/cors' } }], backendRefs: [ref('web')], filters: [
              { type: 'CORS', cors: { allowOrigins: ['https://app.test'], allowMethods: ['GET', 'PUT'], allowHeaders: ['x-token'], maxAge: 60 } },
            ] },
            { matches: [{ path: { value: '/internal' } }], backendRefs: [ref('web')], filters: [
              { type: 'ExtensionRef', extensionRef: { group: 'tideway.dev', kind: 'Middleware', name: 'only-internal' } },
            ] },
            { matches: [{ path: { value: '/missing-ext' } }], backendRefs: [ref('web')], filters: [
              { type: 'ExtensionRef', extensionRef: { group: 'tideway.dev', kind: 'Middleware', name: 'nope' } },
            ] },
            { matches: [{ path: { value: '/per-backend' } }], backendRefs: [ref('web', { filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-backend-filter', value: 'on' }] } }] })] },
            { matches: [{ path: { value: '/weights' } }], backendRefs: [
              ref('web', { weight: 1, filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-which', value: 'web' }] } }] }),
              ref('mirror-b', { weight: 1, filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-which', value: 'b' }] } }] }),
              ref('web', { weight: 1, filters: [{ type: 'Unknown' }] }),
            ] },
          ],
        }),
      ),
    }, ['--https-port', '0']);
    httpsPort = gw.gateway.ports!.https!;
  });
  after(async () => {
    await gw?.close();
    for (const b of [web, mirrorA, mirrorB]) await b?.close();
    certs.dispose();
  });

  const get = (host: string, path = '/', headers: Record<string, string> = {}, method = 'GET') => request(gw.port, { method, path, headers: { host, ...headers } });

  it('serves an HTTPS listener with its certificateRef, chosen by SNI, over HTTP/2', async () => {
    const served = await servedCertificate(httpsPort, 'secure.test');
    assert.equal(served.certificate.subject, 'CN=secure.test');
    const session = await h2Connect(httpsPort, { ca: secure.certPem, servername: 'secure.test' });
    try {
      const res = await h2Request(session, { ':path': '/page', ':authority': 'secure.test' });
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).backend, 'web');
    } finally {
      session.close();
    }
  });

  it('keeps listeners apart: the HTTPS route is not served on plain HTTP, where the HTTP listener redirects', async () => {
    const res = await get('secure.test', '/page?x=1');
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, 'https://secure.test/page?x=1');
    assert.equal((await get('plain.test', '/anything')).status, 404, 'no rule of "plain" matches /anything');
  });

  it('mirrors to every target with its share, throws answers away and survives a dead target', async () => {
    const before = { a: mirrorA.received.length, b: mirrorB.received.length };
    for (let i = 0; i < 3; i++) {
      const res = await get('plain.test', `/mirror/${i}?q=1`, { 'x-trace': 't' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-backend'], 'web', 'the real answer');
    }
    await eventually('three mirrored requests', () => mirrorA.received.length === before.a + 3);
    const copy = mirrorA.received.at(-1)!;
    assert.equal(copy.url, '/mirror/2?q=1');
    assert.equal(copy.headers['x-trace'], 't');
    assert.equal(copy.headers.host, 'plain.test-shadow');
    assert.equal(mirrorB.received.length, before.b, 'percent 0 mirrors nothing');
  });

  it('answers CORS preflights and decorates answers for allowed origins', async () => {
    const preflight = await get('plain.test', '/cors', { origin: 'https://app.test', 'access-control-request-method': 'PUT' }, 'OPTIONS');
    assert.equal(preflight.status, 200, 'the Gateway API conformance suite expects 200');
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.test');
    assert.match(String(preflight.headers['access-control-allow-methods']), /PUT/);
    assert.equal(preflight.headers['access-control-max-age'], '60');
    const simple = await get('plain.test', '/cors', { origin: 'https://app.test' });
    assert.equal(simple.headers['access-control-allow-origin'], 'https://app.test');
    const stranger = await get('plain.test', '/cors', { origin: 'https://evil.test' });
    assert.equal(stranger.headers['access-control-allow-origin'], undefined);
  });

  it('runs a Tideway Middleware named by ExtensionRef, and fails closed when it is missing', async () => {
    assert.equal((await get('plain.test', '/internal')).status, 403, 'the ip-filter Middleware refuses 127.0.0.1');
    assert.equal((await get('plain.test', '/missing-ext')).status, 500);
    assert.ok(gw.gateway.currentDiagnostics.some((d) => d.object === 'default/plain' && d.reason === 'MiddlewareNotFound' && d.field === 'spec.rules[3].filters[0].extensionRef'));
  });

  it('applies the filters of a single backendRef', async () => {
    const res = await get('plain.test', '/per-backend');
    assert.equal(JSON.parse(res.body).headers['x-backend-filter'], 'on');
  });

  it('runs each backendRef\'s own filters for the requests sent to it, and answers 500 for a share whose filter is unknown', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const res = await get('plain.test', '/weights');
      const key = res.status === 200 ? `${res.headers['x-backend']}:${JSON.parse(res.body).headers['x-which']}` : String(res.status);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), ['500', 'mirror-b:b', 'web:web'], JSON.stringify([...seen]));
  });

  it('answers 421 on an HTTP/2 connection reused for a host another certificate serves', async () => {
    const session = await h2Connect(httpsPort, { ca: secure.certPem, servername: 'secure.test' });
    try {
      assert.equal((await h2Request(session, { ':path': '/', ':authority': 'secure.test' })).status, 200);
      assert.equal((await h2Request(session, { ':path': '/', ':authority': 'SECURE.test:443' })).status, 200, 'same name, other case and a port');
      const misdirected = await h2Request(session, { ':path': '/', ':authority': 'other.test' });
      assert.equal(misdirected.status, 421);
    } finally {
      session.close();
    }
    const own = await h2Connect(httpsPort, { ca: other.certPem, servername: 'other.test' });
    try {
      assert.equal((await h2Request(own, { ':path': '/', ':authority': 'other.test' })).status, 200, 'its own connection serves it');
    } finally {
      own.close();
    }
  });
});

describe('Gateway listeners on other ports (files)', () => {
  let gw: RunningGateway;
  let web: TestBackend;
  let extraPort: number;

  before(async () => {
    web = await startBackend('web');
    // A port the OS just handed out and took back: free, as far as a test on a shared machine can know.
    extraPort = await closedPort();
    gw = await startGateway({
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'main', port: 80 }, { name: 'extra', port: extraPort }])),
      'routes.yaml': yamlDocs(
        httpRoute('extra-only', { parentRefs: [{ name: 'gw', sectionName: 'extra' }], hostnames: ['extra.test'], rules: [{ backendRefs: [ref('web')] }] }),
        httpRoute('everywhere', { parentRefs: [{ name: 'gw' }], hostnames: ['both.test'], rules: [
          { backendRefs: [ref('web')] },
          { matches: [{ path: { value: '/moved' } }], filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'new.test' } }] },
        ] }),
      ),
    });
    const deadline = Date.now() + 5000;
    while (!(await gw.gateway.data.gatewayPorts.boundPorts()).includes(extraPort)) {
      if (Date.now() > deadline) throw new Error(`port ${extraPort} not bound within 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  after(async () => {
    await gw?.close();
    await web?.close();
  });

  it('binds a listener port as written and serves its routes there only', async () => {
    assert.equal((await request(extraPort, { headers: { host: 'extra.test' } })).headers['x-backend'], 'web');
    assert.equal((await request(gw.port, { headers: { host: 'extra.test' } })).status, 404, 'not on the port-80 listener');
    assert.equal((await request(extraPort, { headers: { host: 'both.test' } })).status, 200);
    assert.equal((await request(gw.port, { headers: { host: 'both.test' } })).status, 200);
  });

  it('derives a redirect\'s port from the listener the request came through, as declared', async () => {
    const onExtra = await request(extraPort, { path: '/moved', headers: { host: 'both.test' } });
    assert.equal(onExtra.headers.location, `http://new.test:${extraPort}/moved`);
    const onMain = await request(gw.port, { path: '/moved', headers: { host: `both.test:${gw.port}` } });
    assert.equal(onMain.headers.location, 'http://new.test/moved', 'port 80 as declared, not the bound one');
  });

  it('closes the port when no Gateway declares it any more', async () => {
    await gw.writeManifest('gw.yaml', yamlDocs(gatewayClass(), gateway('gw', [{ name: 'main', port: 80 }])));
    const deadline = Date.now() + 5000;
    while ((await gw.gateway.data.gatewayPorts.boundPorts()).includes(extraPort)) {
      if (Date.now() > deadline) throw new Error('port still bound after 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await assert.rejects(request(extraPort, { headers: { host: 'extra.test' } }), /ECONNREFUSED/);
  });
});
