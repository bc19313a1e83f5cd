// `tideway check` as users run it: the real CLI in a child process, on manifests written to a temporary
// directory; the exit status and the printed report are the contract (DESIGN.md, docs/cli.md).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function check(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.TIDEWAY_INGRESS_CLASS;
    execFile(process.execPath, [MAIN, 'check', ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

describe('tideway check', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tideway-check-'));
    await mkdir(file('good'));
    await writeFile(file('good/class.yaml'), ingressClassYaml());
    await writeFile(file('good/app.yaml'), [
      serviceYaml({ namespace: 'shop', name: 'web', endpoints: [['10.0.0.7', 8080]] }),
      ingressYaml({ namespace: 'shop', name: 'web', host: 'shop.example.com', paths: [{ path: '/', service: 'web' }, { path: '/pay', pathType: 'Exact', service: 'web' }] }),
    ].join('---\n'));
    await writeFile(file('missing-service.yaml'), ingressYaml({ namespace: 'shop', name: 'api', host: 'api.example.com', paths: [{ path: '/', service: 'nope' }] }));
    await writeFile(file('conflict.yaml'), ingressYaml({ namespace: 'shop', name: 'zz-copy', host: 'shop.example.com', paths: [{ path: '/', service: 'web' }] }));
    await writeFile(file('broken.yaml'), 'kind: Ingress\n  metadata: [\n');
    await writeFile(file('legacy-class.yaml'), [
      serviceYaml({ namespace: 'shop', name: 'web', endpoints: [['10.0.0.7', 8080]] }),
      ingressYaml({ namespace: 'shop', name: 'legacy', host: 'legacy.example.com', annotations: { 'kubernetes.io/ingress.class': 'custom' }, paths: [{ path: '/', service: 'web' }] }),
    ].join('---\n'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('valid manifests: the route table, no diagnostics, exit 0', async () => {
    const run = await check(file('good'));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Routes:\n/);
    assert.match(run.stdout, /shop\.example\.com\s+\/\s+Prefix\s+shop\/web\s+shop\/web:80 http -> 10\.0\.0\.7:8080/);
    assert.match(run.stdout, /shop\.example\.com\s+\/pay\s+Exact\s+shop\/web/);
    assert.match(run.stdout, /No diagnostics\./);
    assert.match(run.stdout, /2 routes, 0 errors, 0 warnings\.\n$/);
    assert.equal(run.stderr, '');
  });

  test('an error diagnostic (a missing Service): printed with object and field, exit 1', async () => {
    const run = await check(file('good'), file('missing-service.yaml'));
    assert.equal(run.code, 1);
    assert.match(run.stdout, /api\.example\.com\s+\/\s+Prefix\s+shop\/api\s+no backend \(503\)/);
    assert.match(run.stdout, /error\s+Ingress shop\/api: spec\.rules\[0\]\.http\.paths\[0\]\.backend\.service\.name: Service shop\/nope not found/);
    assert.match(run.stdout, /3 routes, 1 error, 0 warnings\./);
  });

  test('warnings only (a path conflict): printed, exit 0', async () => {
    const run = await check(file('good'), file('conflict.yaml'));
    assert.equal(run.code, 0);
    assert.match(run.stdout, /warning\s+Ingress shop\/zz-copy: .*already served by Ingress shop\/web/);
    assert.match(run.stdout, /2 routes, 0 errors, 1 warning\./);
  });

  test('a file that does not parse is an error naming the file, exit 1', async () => {
    const run = await check(file('good'), file('broken.yaml'));
    assert.equal(run.code, 1);
    assert.ok(run.stdout.includes(`error   File ${file('broken.yaml')}: line `), run.stdout);
  });

  test('--ingress-class selects which class is checked', async () => {
    const other = await check(file('legacy-class.yaml'));
    assert.equal(other.code, 0);
    assert.match(other.stdout, /\(none\)/, 'an Ingress of another class is not served');
    const custom = await check('--ingress-class', 'custom', file('legacy-class.yaml'));
    assert.equal(custom.code, 0);
    assert.match(custom.stdout, /legacy\.example\.com\s+\/\s+Prefix\s+shop\/legacy/);
  });

  test('usage errors exit 2 with the usage on stderr; --help exits 0', async () => {
    const none = await check();
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no manifest file or directory given/);
    assert.match(none.stderr, /Usage: tideway check/);
    const unknown = await check('--color', file('good'));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--color'/);
    const help = await check('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: tideway check \[flags\] <file-or-dir>\.\.\./);
    assert.match(help.stdout, /Exit status: 0 no error/);
  });

  test('a path that does not exist exits 2 and names it', async () => {
    const run = await check(file('good'), file('no-such-dir'));
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, new RegExp(`cannot read manifests from ${file('no-such-dir').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: no such file or directory`));
  });
});

describe('tideway check with Gateway API objects', () => {
  const examples = fileURLToPath(new URL('../../examples', import.meta.url));
  let dir: string;
  const file = (name: string) => path.join(dir, name);

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tideway-check-gw-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('prints HTTPRoute rules with their predicates and the status the leader would write', async () => {
    const run = await check(path.join(examples, 'quickstart'), path.join(examples, 'gateway-api'));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /gateway\.localhost\s+\/\s+Prefix\s+HTTPRoute demo\/shop rule canary \(header x-canary = "yes"\)\s+demo\/api:80 http/);
    assert.match(run.stdout, /gateway\.localhost\s+\/old\s+Prefix\s+HTTPRoute demo\/shop rule old\s+no backend \(503\)\s+\[gateway-redirect\]/);
    assert.match(run.stdout, /Gateway API status \(written by the leader in a cluster\):\n  GatewayClass tideway\n    Accepted=True Accepted\n    supportedFeatures: Gateway, /);
    assert.match(run.stdout, /  HTTPRoute demo\/shop\n    parent demo\/demo\/http: Accepted=True Accepted\n    parent demo\/demo\/http: ResolvedRefs=True ResolvedRefs/);
    assert.match(run.stdout, /    listener http \(1 routes\): Programmed=True Programmed/);
  });

  test('prints the failing conditions with their reasons and exits 1', async () => {
    await writeFile(file('gateway-status.yaml'), [
      'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: tideway}\nspec: {controllerName: tideway.dev/gateway-controller}',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\nspec:\n  gatewayClassName: tideway\n  listeners: [{name: http, port: 80, protocol: HTTP}]',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: shop}\nspec:\n  parentRefs: [{name: gw}]\n  rules: [{backendRefs: [{name: missing, port: 80}]}, {matches: [{path: {value: /tls}}], backendRefs: [{name: secure, port: 443}]}]',
      'apiVersion: v1\nkind: Service\nmetadata: {name: secure, namespace: shop}\nspec: {ports: [{name: https, port: 443}]}',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\nmetadata: {name: secure, namespace: shop}\nspec:\n  targetRefs: [{group: "", kind: Service, name: secure}]\n  validation: {hostname: secure.internal, caCertificateRefs: [{group: "", kind: ConfigMap, name: absent}]}',
    ].join('\n---\n'));
    const run = await check(file('gateway-status.yaml'));
    assert.equal(run.code, 1);
    assert.match(run.stdout, /error\s+HTTPRoute shop\/r: spec\.rules\[0\]\.backendRefs\[0\]\.name: Service shop\/missing not found/);
    assert.match(run.stdout, /parent shop\/gw: ResolvedRefs=False BackendNotFound: spec\.rules\[0\]\.backendRefs\[0\]\.name: Service shop\/missing not found/);
    assert.match(run.stdout, /error\s+BackendTLSPolicy shop\/secure: spec\.validation\.caCertificateRefs\[0\]: ConfigMap shop\/absent not found/);
    assert.match(run.stdout, /  BackendTLSPolicy shop\/secure\n    ancestor shop\/gw: Accepted=False NoValidCACertificate: .*\n    ancestor shop\/gw: ResolvedRefs=False InvalidCACertificateRef: spec\.validation\.caCertificateRefs\[0\]: ConfigMap shop\/absent not found/);
  });

  test('prints ListenerSets with their listeners, and the routes attached to them', async () => {
    await writeFile(file('listener-set.yaml'), [
      'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: tideway}\nspec: {controllerName: tideway.dev/gateway-controller}',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\nspec:\n  gatewayClassName: tideway\n  allowedListeners: {namespaces: {from: Same}}\n  listeners: [{name: http, port: 80, protocol: HTTP, hostname: shop.test}]',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {name: more, namespace: shop}\nspec:\n  parentRef: {name: gw}\n  listeners: [{name: extra, port: 80, protocol: HTTP, hostname: more.test}, {name: dup, port: 80, protocol: HTTP, hostname: shop.test}]',
      'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {ports: [{port: 80}]}',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: shop}\nspec:\n  parentRefs: [{kind: ListenerSet, name: more, sectionName: extra}]\n  rules: [{backendRefs: [{name: web, port: 80}]}]',
    ].join('\n---\n'));
    const run = await check(file('listener-set.yaml'));
    assert.match(run.stdout, /more\.test\s+\/\s+Prefix\s+HTTPRoute shop\/r/);
    assert.match(run.stdout, /  Gateway shop\/gw\n    Accepted=True Accepted\n    Programmed=True Programmed\n    ResolvedRefs=True ResolvedRefs\n    attachedListenerSets: 1\n/);
    assert.match(run.stdout, /  ListenerSet shop\/more\n    Accepted=True Accepted\n    Programmed=True Programmed\n    listener extra \(1 routes\): Accepted=True Accepted/);
    assert.match(run.stdout, /    listener dup \(0 routes\): Conflicted=True HostnameConflict: listener dup has the same port and hostname as listener http/);
    assert.match(run.stdout, /parent ListenerSet shop\/more\/extra: Accepted=True Accepted/);
  });
});
