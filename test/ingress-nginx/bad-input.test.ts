// Malformed ingress-nginx annotations through the gateway: each is an error naming the Ingress and the
// annotation; access control (auth, allow and deny lists) fails closed and never lets everyone in;
// anything else falls back to ingress-nginx's default, and the other Ingresses keep serving.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressYaml, serviceYaml, type IngressPath } from '../support/manifests.ts';

const N = 'nginx.ingress.kubernetes.io/';
const NGINX_CLASS = stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });

/** Ingress name -> its annotations, and what a request must get: a status, or 200 from the backend. */
const FAILS_CLOSED: Record<string, [Record<string, string>, number]> = {
  cidr: [{ [`${N}whitelist-source-range`]: '10.0.0.0/33' }, 500],
  denycidr: [{ [`${N}denylist-source-range`]: '127.0.0.1/40' }, 500],
  authurl: [{ [`${N}auth-url`]: 'not a url' }, 500],
  authtype: [{ [`${N}auth-type`]: 'ntlm', [`${N}auth-secret`]: 'users' }, 500],
  authnosecret: [{ [`${N}auth-type`]: 'basic' }, 500],
  // An auth-file Secret read as auth-map: its key "auth" is a user whose "hash" is an htpasswd line.
  authmap: [{ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users', [`${N}auth-secret-type`]: 'auth-map' }, 500],
  authsecrettype: [{ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users', [`${N}auth-secret-type`]: 'htpasswd' }, 500],
  limitallow: [{ [`${N}limit-rps`]: '5', [`${N}limit-allowlist`]: '10.0.0.0/99' }, 500],
};

/** Ingress name -> annotations whose bad value is reported while the Ingress serves with the default. */
const FALLS_BACK: Record<string, Record<string, string>> = {
  rps: { [`${N}limit-rps`]: 'ten' },
  rpm: { [`${N}limit-rpm`]: '1.5' },
  conns: { [`${N}limit-connections`]: 'many' },
  burst: { [`${N}limit-rps`]: '100', [`${N}limit-burst-multiplier`]: 'x' },
  protocol: { [`${N}backend-protocol`]: 'SPDY' },
  bodysize: { [`${N}proxy-body-size`]: 'huge' },
  readtimeout: { [`${N}proxy-read-timeout`]: 'soon' },
  regexflag: { [`${N}use-regex`]: 'yes' },
  sslflag: { [`${N}ssl-redirect`]: 'maybe' },
  permcode: { [`${N}permanent-redirect`]: 'https://new.test/', [`${N}permanent-redirect-code`]: '200' },
  permurl: { [`${N}permanent-redirect`]: 'not a url' },
  tempcode: { [`${N}temporal-redirect`]: 'https://new.test/', [`${N}temporal-redirect-code`]: 'soon' },
  approot: { [`${N}app-root`]: 'app' },
  corsage: { [`${N}enable-cors`]: 'true', [`${N}cors-max-age`]: 'forever' },
  corsorigin: { [`${N}enable-cors`]: 'true', [`${N}cors-allow-origin`]: 'https://ok.test, not an origin' },
  corscreds: { [`${N}enable-cors`]: 'true', [`${N}cors-allow-origin`]: 'https://ok.test', [`${N}cors-allow-credentials`]: 'sometimes' },
  cookieage: { [`${N}affinity`]: 'cookie', [`${N}session-cookie-max-age`]: 'long' },
  samesite: { [`${N}affinity`]: 'cookie', [`${N}session-cookie-samesite`]: 'Sometimes' },
  cookiename: { [`${N}affinity`]: 'cookie', [`${N}session-cookie-name`]: 'bad name' },
  errors: { [`${N}custom-http-errors`]: '404,abc' },
  fallback: { [`${N}default-backend`]: 'Not_A_Service' },
  mirror: { [`${N}mirror-target`]: 'not a url' },
  vhost: { [`${N}upstream-vhost`]: 'a\u0000b' },
  hashkey: { [`${N}upstream-hash-by`]: '$no_such_variable' },
};

describe('malformed ingress-nginx annotations through the gateway', () => {
  let gw: RunningGateway;
  let web: TestBackend;

  before(async () => {
    web = await startBackend('web');
    const site = (name: string, annotations: Record<string, string>, paths: IngressPath[] = [{ path: '/', service: 'web' }]) =>
      ingressYaml({ name, host: `${name}.test`, className: 'nginx', paths, annotations });
    gw = await startGateway({
      'class.yaml': NGINX_CLASS,
      'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
      'secret.yaml': stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'users', namespace: 'default' }, stringData: { auth: 'alice:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=\n' } }),
      'ing.yaml': [
        site('healthy', {}),
        ...Object.entries(FAILS_CLOSED).map(([name, [annotations]]) => site(name, annotations)),
        ...Object.entries(FALLS_BACK).map(([name, annotations]) => site(name, annotations)),
        // An invalid regex path and a rewrite-target naming a capture group the path lacks.
        site('badregex', { [`${N}use-regex`]: 'true' }, [{ path: '/ok/(.*)', pathType: 'ImplementationSpecific', service: 'web' }, { path: '/(unclosed', pathType: 'ImplementationSpecific', service: 'web' }]),
        site('badcapture', { [`${N}rewrite-target`]: '/$2' }, [{ path: '/api/(.*)', pathType: 'ImplementationSpecific', service: 'web' }]),
      ].join('---\n'),
    }, ['--ingress-nginx-compat']);
  });
  after(async () => {
    await gw?.close();
    await web?.close();
  });

  const get = (host: string, path = '/x') => request(gw.port, { path, headers: { host } });
  const errorsOf = (ingress: string) => gw.gateway.control.currentDiagnostics.filter((d) => d.object === `default/${ingress}` && d.severity === 'error');

  it('access control with a bad value fails closed, with an error naming the Ingress and the annotation', async () => {
    for (const [name, [annotations, status]] of Object.entries(FAILS_CLOSED)) {
      assert.equal((await get(`${name}.test`)).status, status, name);
      const fields = errorsOf(name).map((d) => d.field);
      assert.ok(Object.keys(annotations).some((key) => fields.includes(`metadata.annotations["${key}"]`)), `${name}: ${JSON.stringify(errorsOf(name))}`);
    }
  });

  it('any other bad value is an error naming the annotation, and the Ingress serves with the default', async () => {
    const wrong: string[] = [];
    for (const [name, annotations] of Object.entries(FALLS_BACK)) {
      const bad = `metadata.annotations["${Object.keys(annotations).at(-1)!}"]`;
      const errors = errorsOf(name);
      if (errors.length !== 1 || errors[0]!.field !== bad || !/; (the default applies|those are left out, as ingress-nginx does)$/.test(errors[0]!.message)) wrong.push(`${name}: ${JSON.stringify(errors.map((d) => [d.field, d.message]))}`);
      if (name === 'permcode' || name === 'tempcode') continue;
      const res = await get(`${name}.test`);
      if (res.status !== 200 || res.headers['x-backend'] !== 'web') wrong.push(`${name}: answered ${res.status}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('the defaults behind the bad values: 301 and 302 redirects, CORS with its default max-age and the valid origins, a session cookie', async () => {
    assert.deepEqual([(await get('permcode.test')).status, (await get('tempcode.test')).status], [301, 302]);
    const preflight = await request(gw.port, { method: 'OPTIONS', path: '/', headers: { host: 'corsage.test', origin: 'https://a.test', 'access-control-request-method': 'GET' } });
    assert.equal(preflight.headers['access-control-max-age'], '1728000');
    const listed = await request(gw.port, { path: '/', headers: { host: 'corsorigin.test', origin: 'https://ok.test' } });
    assert.equal(listed.headers['access-control-allow-origin'], 'https://ok.test');
    const other = await request(gw.port, { path: '/', headers: { host: 'corsorigin.test', origin: 'https://other.test' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    assert.match(String((await get('cookieage.test')).headers['set-cookie']), /^INGRESSCOOKIE=[^;]+; Path=\/; HttpOnly$/);
    assert.match(String((await get('cookiename.test')).headers['set-cookie']), /^INGRESSCOOKIE=/);
  });

  it('an invalid regex path is an error naming the path; the Ingress\'s other paths serve', async () => {
    assert.equal((await get('badregex.test', '/ok/a')).status, 200);
    assert.ok(errorsOf('badregex').some((d) => d.reason === 'InvalidRegex' && /paths\[1\]/.test(d.field)), JSON.stringify(errorsOf('badregex')));
  });

  it('rewrite-target naming a capture group the path lacks is an error; the path is served unrewritten', async () => {
    assert.equal(errorsOf('badcapture').length, 1);
    assert.match(errorsOf('badcapture')[0]!.message, /\$2/);
    const res = await get('badcapture.test', '/api/users');
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as { url: string }).url, '/api/users');
  });

  it('the other Ingresses keep serving', async () => {
    assert.equal((await get('healthy.test')).status, 200);
  });
});
