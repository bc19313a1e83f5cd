// ingress-nginx's upstream and traffic annotations through the gateway: backend-protocol GRPC and H2C,
// proxy-read-timeout, proxy-next-upstream onto a live endpoint, load-balance over two endpoints,
// limit-rpm and limit-whitelist, the canary refinements (header value and pattern, cookie, weight
// total), upstream-hash-by and mirror-request-body.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import grpc from '@grpc/grpc-js';
import { stringify } from 'yaml';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { ingressYaml, serviceYaml } from '../support/manifests.ts';
import { closedPort } from '../support/ports.ts';
import { EchoClient, startEchoServer, type EchoReply, type EchoServer } from '../protocols/support/grpc.ts';

const N = 'nginx.ingress.kubernetes.io/';
const NGINX_CLASS = stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });

/**
 * A loopback port that never completes a TCP handshake: a child process listens with a backlog of one
 * and blocks its event loop, so two connections fill the accept queue and the kernel drops further
 * SYNs (the connection attempt hangs, as to a host that does not answer).
 */
async function startStalledListener(): Promise<{ port: number; close(): void }> {
  const script = `const s = require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
    process.stdout.write(s.address().port + '\\n');
    setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000), 20);
  });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = net.connect(port, '127.0.0.1');
    fillers.push(socket);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  }
  return { port, close: () => { for (const s of fillers) s.destroy(); child.kill(); } };
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'condition not reached within 5 s');
}

describe('ingress-nginx upstream and traffic annotations through the gateway', () => {
  let gw: RunningGateway;
  let web: TestBackend;
  let other: TestBackend;
  let canary: TestBackend;
  let mirror: TestBackend;
  let third: TestBackend;
  let h2c: http2.Http2Server;
  let echo: EchoServer;
  let grpcClient: InstanceType<typeof EchoClient>;
  let stalled: Awaited<ReturnType<typeof startStalledListener>>;

  before(async () => {
    [web, other, canary, mirror, third] = await Promise.all([startBackend('web'), startBackend('other'), startBackend('canary'), startBackend('mirror'), startBackend('third')]);
    web.handler = (req, res) => {
      if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('late'), 1500);
      else res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'web' }).end(JSON.stringify({ backend: 'web', url: req.url }));
    };
    h2c = http2.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ httpVersion: req.httpVersion })));
    await new Promise<void>((resolve) => h2c.listen(0, '127.0.0.1', resolve));
    echo = await startEchoServer();
    const dead = await closedPort();
    stalled = await startStalledListener();
    const site = (name: string, service: string, annotations: Record<string, string>) =>
      ingressYaml({ name, host: `${name}.test`, className: 'nginx', paths: [{ path: '/', service }], annotations });
    gw = await startGateway({
      'class.yaml': NGINX_CLASS,
      'svc.yaml': [
        serviceYaml({ name: 'web', endpoints: [['127.0.0.1', web.port]] }),
        serviceYaml({ name: 'pair', endpoints: [['127.0.0.1', web.port], ['127.0.0.1', other.port]] }),
        serviceYaml({ name: 'half-dead', endpoints: [['127.0.0.1', dead], ['127.0.0.1', other.port]] }),
        serviceYaml({ name: 'canary', endpoints: [['127.0.0.1', canary.port]] }),
        serviceYaml({ name: 'h2c', endpoints: [['127.0.0.1', (h2c.address() as AddressInfo).port]] }),
        serviceYaml({ name: 'echo', endpoints: [['127.0.0.1', echo.port]] }),
        serviceYaml({ name: 'stalled', endpoints: [['127.0.0.1', stalled.port]] }),
      ].join('---\n'),
      'hash-svc.yaml': serviceYaml({ name: 'trio', endpoints: [['127.0.0.1', web.port], ['127.0.0.1', other.port], ['127.0.0.1', third.port]] }),
      'ing.yaml': [
        site('hashed', 'trio', { [`${N}upstream-hash-by`]: '$arg_user' }),
        site('byheader', 'trio', { [`${N}upstream-hash-by`]: 'tenant-$http_x_tenant_id' }),
        site('h2c', 'h2c', { [`${N}backend-protocol`]: 'H2C' }),
        site('grpc', 'echo', { [`${N}backend-protocol`]: 'GRPC' }),
        site('timeout', 'web', { [`${N}proxy-read-timeout`]: '1' }),
        site('patient', 'web', { [`${N}proxy-read-timeout`]: '5', [`${N}proxy-connect-timeout`]: '2' }),
        site('stalled', 'stalled', { [`${N}proxy-connect-timeout`]: '1' }),
        site('approximated', 'web', { [`${N}proxy-send-timeout`]: '30', [`${N}proxy-next-upstream-timeout`]: '5', [`${N}proxy-next-upstream-tries`]: '2' }),
        site('retry', 'half-dead', { [`${N}proxy-next-upstream`]: 'error timeout', [`${N}proxy-next-upstream-tries`]: '3' }),
        site('balanced', 'pair', { [`${N}load-balance`]: 'round_robin' }),
        site('rpm', 'web', { [`${N}limit-rpm`]: '2', [`${N}limit-burst-multiplier`]: '1' }),
        site('oldexempt', 'web', { [`${N}limit-rpm`]: '1', [`${N}limit-burst-multiplier`]: '1', [`${N}limit-whitelist`]: '127.0.0.0/8' }),
        site('byvalue', 'web', {}),
        site('byvalue', 'canary', { [`${N}canary`]: 'true', [`${N}canary-by-header`]: 'X-Version', [`${N}canary-by-header-value`]: 'v2' }).replace('name: byvalue', 'name: byvalue-canary'),
        site('bypattern', 'web', {}),
        site('bypattern', 'canary', { [`${N}canary`]: 'true', [`${N}canary-by-header`]: 'X-Version', [`${N}canary-by-header-pattern`]: '^v2(\\.\\d+)?$' }).replace('name: bypattern', 'name: bypattern-canary'),
        site('bycookie', 'web', {}),
        site('bycookie', 'canary', { [`${N}canary`]: 'true', [`${N}canary-by-cookie`]: 'beta', [`${N}canary-weight`]: '3', [`${N}canary-weight-total`]: '3' }).replace('name: bycookie', 'name: bycookie-canary'),
        site('mirrored', 'web', { [`${N}mirror-target`]: `http://127.0.0.1:${mirror.port}/copy$request_uri` }),
        site('mirrorbody', 'web', { [`${N}mirror-target`]: `http://127.0.0.1:${mirror.port}/nobody$request_uri`, [`${N}mirror-request-body`]: 'off' }),
      ].join('---\n'),
    }, ['--ingress-nginx-compat']);
    grpcClient = new EchoClient(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'grpc.test' });
  });
  after(async () => {
    grpcClient?.close();
    await gw?.close();
    await Promise.all([web, other, canary, mirror, third].map((b) => b?.close()));
    h2c?.close();
    await echo?.close();
    stalled?.close();
  });

  const get = (host: string, path = '/', headers: Record<string, string> = {}, method = 'GET', body?: string) =>
    request(gw.port, { method, path, headers: { host, ...headers }, ...(body === undefined ? {} : { body }) });
  const backendOf = (res: { body: string }) => (JSON.parse(res.body) as { backend: string }).backend;

  it('backend-protocol H2C speaks HTTP/2 without TLS to the backend', async () => {
    const res = await get('h2c.test');
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as { httpVersion: string }).httpVersion, '2.0');
  });

  it('backend-protocol GRPC carries a gRPC call to the backend', async () => {
    const reply = await new Promise<EchoReply>((resolve, reject) => {
      (grpcClient.Unary as (r: object, cb: (e: grpc.ServiceError | null, r: EchoReply) => void) => void)({ message: 'hi' }, (error, r) => (error ? reject(error) : resolve(r)));
    });
    assert.equal(reply.message, 'hi');
  });

  it('proxy-read-timeout: a backend slower than it answers 504; a longer one waits', async () => {
    assert.equal((await get('timeout.test', '/slow')).status, 504);
    const patient = await get('patient.test', '/slow');
    assert.deepEqual([patient.status, patient.body], [200, 'late']);
  });

  it('proxy-connect-timeout: a backend that does not complete the TCP handshake in time answers 504', async () => {
    const started = performance.now();
    const res = await get('stalled.test');
    assert.equal(res.status, 504);
    assert.ok(performance.now() - started >= 900, `answered after ${Math.round(performance.now() - started)} ms`);
  });

  it('proxy-send-timeout and proxy-next-upstream-timeout/-tries are served, each reported as approximated', async () => {
    assert.equal((await get('approximated.test')).status, 200);
    const reasons = gw.gateway.control.currentDiagnostics.filter((d) => d.object === 'default/approximated').map((d) => [d.field, d.reason]);
    assert.deepEqual(reasons.sort(), ['proxy-next-upstream-timeout', 'proxy-next-upstream-tries', 'proxy-send-timeout'].map((name) => [`metadata.annotations["${N}${name}"]`, 'NginxAnnotationApproximated']));
  });

  it('proxy-next-upstream: a request whose endpoint refuses the connection is retried on the other one', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await get('retry.test');
      assert.equal(res.status, 200, `request ${i}`);
      assert.equal(backendOf(res), 'other');
    }
  });

  it('load-balance: requests are spread over both endpoints', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20 && seen.size < 2; i++) seen.add(backendOf(await get('balanced.test')));
    assert.deepEqual([...seen].sort(), ['other', 'web']);
  });

  it('upstream-hash-by: requests with the same key go to the same endpoint; keys spread over the endpoints', async () => {
    const owner = new Map<string, string>();
    for (let user = 0; user < 24; user++) owner.set(`u${user}`, backendOf(await get('hashed.test', `/?user=u${user}`)));
    for (const [user, backend] of [...owner].slice(0, 6)) {
      for (let i = 0; i < 3; i++) assert.equal(backendOf(await get('hashed.test', `/x?a=1&user=${user}`)), backend, user);
    }
    assert.deepEqual([...new Set(owner.values())].sort(), ['other', 'third', 'web']);
    const tenants = new Set<string>();
    for (let i = 0; i < 4; i++) tenants.add(backendOf(await get('byheader.test', '/', { 'x-tenant-id': 'acme' })));
    assert.equal(tenants.size, 1);
    // Consistent: when an endpoint leaves, only its keys move.
    await gw.writeManifest('hash-svc.yaml', serviceYaml({ name: 'trio', endpoints: [['127.0.0.1', web.port], ['127.0.0.1', other.port]] }));
    for (const [user, backend] of owner) {
      const now = backendOf(await get('hashed.test', `/?user=${user}`));
      if (backend !== 'third') assert.equal(now, backend, user);
      else assert.notEqual(now, 'third', user);
    }
  });

  it('limit-rpm: the burst is the per-minute budget times the multiplier, then 503', async () => {
    assert.deepEqual([(await get('rpm.test')).status, (await get('rpm.test')).status, (await get('rpm.test')).status], [200, 200, 503]);
  });

  it('limit-whitelist (the older name of limit-allowlist) exempts its clients', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await get('oldexempt.test')).status, 200);
  });

  it('canary-by-header-value: only that value picks the canary', async () => {
    assert.equal(backendOf(await get('byvalue.test', '/', { 'x-version': 'v2' })), 'canary');
    assert.equal(backendOf(await get('byvalue.test', '/', { 'x-version': 'v1' })), 'web');
    assert.equal(backendOf(await get('byvalue.test')), 'web');
  });

  it('canary-by-header-pattern: a value matching the regex picks the canary', async () => {
    assert.equal(backendOf(await get('bypattern.test', '/', { 'x-version': 'v2.1' })), 'canary');
    assert.equal(backendOf(await get('bypattern.test', '/', { 'x-version': 'v3' })), 'web');
  });

  it('canary-by-cookie: "always" and "never" decide before the weight; canary-weight-total is the weight\'s scale', async () => {
    assert.equal(backendOf(await get('bycookie.test', '/', { cookie: 'beta=never' })), 'web');
    assert.equal(backendOf(await get('bycookie.test', '/', { cookie: 'beta=always' })), 'canary');
    // Weight 3 of a total of 3: everything else goes to the canary.
    assert.equal(backendOf(await get('bycookie.test', '/', { cookie: 'beta=maybe' })), 'canary');
    assert.equal(backendOf(await get('bycookie.test')), 'canary');
  });

  it('mirror-request-body: "on" (the default) copies the body, "off" leaves it out; the backend gets it either way', async () => {
    for (const host of ['mirrored.test', 'mirrorbody.test']) {
      const res = await get(host, '/upload', { 'content-type': 'text/plain' }, 'POST', 'payload');
      assert.equal(res.status, 200);
    }
    await waitUntil(() => mirror.received.length >= 2);
    const bodies = Object.fromEntries(mirror.received.map((r) => [r.url, r.body.toString()]));
    assert.deepEqual(bodies, { '/copy/upload': 'payload', '/nobody/upload': '' });
    assert.equal(web.received.filter((r) => r.url === '/upload').every((r) => r.body.toString() === 'payload'), true);
  });
});
