// HTTPRoute rules[].timeouts through the gateway (files), after the conformance tests
// HTTPRouteRequestTimeout and HTTPRouteBackendTimeout: `request` is a deadline on the whole exchange
// (a late head is 504, a response still trickling when it runs out is cut), `backendRequest` bounds the
// wait for the backend's answer, and "0s" disables either. HTTP/1.1 and HTTP/2 clients alike.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { h2Connect } from '../protocols/support/h2.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';

const ref = { name: 'slow', port: 80 };
const prefix = (value: string) => [{ path: { type: 'PathPrefix', value } }];

/** An HTTP/1.1 GET: its status and body, or how it ended when the response was cut. */
function fetchRaw(port: number, path: string): Promise<{ status: number; body: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ port, host: '127.0.0.1', path, headers: { host: 'timeouts.test' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, complete: res.complete }));
      res.on('aborted', () => resolve({ status: res.statusCode!, body, complete: false }));
      res.on('error', () => resolve({ status: res.statusCode!, body, complete: false }));
    });
    req.on('error', reject);
  });
}

describe('HTTPRoute timeouts through the gateway (files)', () => {
  let gw: RunningGateway;
  let slow: TestBackend;
  const timers = new Set<NodeJS.Timeout>();

  before(async () => {
    slow = await startBackend('slow');
    // ?delay=ms before the head; ?chunks=N&every=ms: the head at once, then N chunks, one every `every` ms.
    slow.handler = (req, res) => {
      const url = new URL(req.url!, 'http://x');
      const later = (ms: number, fn: () => void) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) fn();
        }, ms);
        timers.add(timer);
      };
      const chunks = Number(url.searchParams.get('chunks') ?? 0);
      if (chunks > 0) {
        const every = Number(url.searchParams.get('every'));
        res.writeHead(200, { 'content-type': 'text/plain' });
        const send = (left: number) => later(every, () => (left === 1 ? res.end('x') : (res.write('x'), send(left - 1))));
        return send(chunks);
      }
      later(Number(url.searchParams.get('delay') ?? 0), () => res.end('ok'));
    };
    gw = await startGateway({
      'svc.yaml': serviceYaml({ name: 'slow', endpoints: [['127.0.0.1', slow.port]] }),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'http' }])),
      'routes.yaml': yamlDocs(httpRoute('timeouts', {
        parentRefs: [{ name: 'gw' }],
        rules: [
          { matches: prefix('/request-timeout'), timeouts: { request: '500ms' }, backendRefs: [ref] },
          { matches: prefix('/disable-request-timeout'), timeouts: { request: '0s' }, backendRefs: [ref] },
          { matches: prefix('/backend-timeout'), timeouts: { backendRequest: '300ms' }, backendRefs: [ref] },
          { matches: prefix('/disable-backend-timeout'), timeouts: { backendRequest: '0s' }, backendRefs: [ref] },
          { matches: prefix('/bad-timeout'), timeouts: { request: 'soon' }, backendRefs: [ref] },
        ],
      })),
    });
  });
  after(async () => {
    for (const timer of timers) clearTimeout(timer);
    await gw?.close();
    await slow?.close();
  });

  const get = (path: string) => request(gw.port, { path, headers: { host: 'timeouts.test' } });

  it('request: a timely answer is served, a late head is 504 when the deadline runs out', async () => {
    assert.equal((await get('/request-timeout')).status, 200);
    const start = performance.now();
    assert.equal((await get('/request-timeout?delay=1500')).status, 504);
    const took = performance.now() - start;
    assert.ok(took >= 450 && took < 1200, `answered after ${Math.round(took)} ms`);
  });

  it('request covers the whole response: a body still trickling at the deadline is cut', async () => {
    // Ten chunks 150 ms apart: every pause is shorter than the deadline, the whole is not.
    const res = await fetchRaw(gw.port, '/request-timeout?chunks=10&every=150');
    assert.equal(res.status, 200);
    assert.equal(res.complete, false, 'the response is cut');
    assert.ok(res.body.length < 10, `${res.body.length} of 10 chunks`);
    const quick = await fetchRaw(gw.port, '/request-timeout?chunks=3&every=50');
    assert.deepEqual(quick, { status: 200, body: 'xxx', complete: true });
  });

  it('request "0s" disables the deadline', async () => {
    assert.equal((await get('/disable-request-timeout?delay=1000')).status, 200);
  });

  it('backendRequest bounds the wait for the backend\'s answer; "0s" disables it', async () => {
    assert.equal((await get('/backend-timeout?delay=100')).status, 200);
    assert.equal((await get('/backend-timeout?delay=800')).status, 504);
    assert.equal((await get('/disable-backend-timeout?delay=800')).status, 200);
  });

  it('HTTP/2 clients: a late head is 504, a trickling response is reset at the deadline', async () => {
    const session = await h2Connect(gw.port);
    try {
      const stream = (path: string) => new Promise<{ status: number; body: string; reset: number }>((resolve) => {
        const s = session.request({ ':path': path, ':authority': 'timeouts.test' });
        let status = 0;
        let body = '';
        s.on('response', (headers) => (status = Number(headers[':status'])));
        s.setEncoding('utf8');
        s.on('data', (chunk: string) => (body += chunk));
        s.on('error', () => {});
        s.on('close', () => resolve({ status, body, reset: s.rstCode ?? 0 }));
      });
      assert.equal((await stream('/request-timeout?delay=1500')).status, 504);
      const cut = await stream('/request-timeout?chunks=10&every=150');
      assert.equal(cut.status, 200);
      assert.notEqual(cut.reset, 0, 'the stream is reset');
      assert.ok(cut.body.length < 10);
      assert.deepEqual(await stream('/request-timeout?chunks=3&every=50'), { status: 200, body: 'xxx', reset: 0 });
    } finally {
      session.close();
    }
  });

  it('an unreadable duration is reported and the rule served with the default', async () => {
    assert.ok(gw.gateway.currentDiagnostics.some((d) => d.object === 'default/timeouts' && d.field === 'spec.rules[4].timeouts.request' && d.reason === 'UnsupportedValue'));
    assert.equal((await get('/bad-timeout?delay=600')).status, 200);
  });
});
