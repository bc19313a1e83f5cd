// HTTPRoute rules[].retry to HTTP/2 backends (Service port appProtocol kubernetes.io/h2c), from
// HTTP/1.1 and HTTP/2 clients: the same semantics as for HTTP/1.1 backends (listed statuses, attempts,
// connection errors, per-try timeouts, backoff, all bounded by the request timeout), against a real h2c
// server that fails the first tries of each request (a status, a late answer, or its connection cut).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2 from 'node:http2';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { h2Connect, h2Request } from '../protocols/support/h2.ts';
import { flakyHandler } from '../support/flaky-backend.ts';
import { request, startGateway, type RunningGateway } from '../support/gateway.ts';
import { gateway, gatewayClass, httpRoute, yamlDocs } from '../support/gateway-api.ts';
import { serviceYaml } from '../support/manifests.ts';

const ref = { name: 'flaky-h2c', port: 80 };
const prefix = (value: string) => [{ path: { type: 'PathPrefix', value } }];

describe('HTTPRoute retry to h2c backends (files)', () => {
  let gw: RunningGateway;
  let backend: http2.Http2Server;
  const tries = new Map<string, number[]>();
  const timers = new Set<NodeJS.Timeout>();
  const protocols = new Set<string>();

  before(async () => {
    const handler = flakyHandler<http2.Http2ServerRequest>({ tries, timers }, (req) => req.stream.session?.destroy());
    backend = http2.createServer((req, res) => {
      protocols.add(`HTTP/${req.httpVersion}`);
      handler(req, res);
    });
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const port = (backend.address() as net.AddressInfo).port;
    gw = await startGateway({
      'svc.yaml': serviceYaml({ name: 'flaky-h2c', appProtocol: 'kubernetes.io/h2c', endpoints: [['127.0.0.1', port]] }),
      'gw.yaml': yamlDocs(gatewayClass(), gateway('gw', [{ name: 'http' }])),
      'routes.yaml': yamlDocs(httpRoute('retries', {
        parentRefs: [{ name: 'gw' }],
        rules: [
          { matches: prefix('/code-500-attempts-3'), retry: { codes: [500], attempts: 3 }, backendRefs: [ref] },
          { matches: prefix('/no-status-code-attempts-3'), retry: { attempts: 3 }, backendRefs: [ref] },
          { matches: prefix('/backend-request-timeout-200ms'), retry: { attempts: 2 }, timeouts: { backendRequest: '200ms' }, backendRefs: [ref] },
          { matches: prefix('/request-timeout-400ms'), retry: { codes: [500], attempts: 5 }, timeouts: { backendRequest: '200ms', request: '400ms' }, backendRefs: [ref] },
          { matches: prefix('/backoff-150ms'), retry: { codes: [500], attempts: 1, backoff: '150ms' }, backendRefs: [ref] },
          { matches: prefix('/no-retry'), backendRefs: [ref] },
        ],
      })),
    });
  });
  after(async () => {
    for (const timer of timers) clearTimeout(timer);
    await gw?.close();
    backend?.close();
  });

  let nextId = 0;
  const query = (path: string, params: Record<string, string>) => {
    const id = String(++nextId);
    return { id, path: `${path}?${new URLSearchParams({ id, ...params })}` };
  };
  const seen = (id: string) => tries.get(id) ?? [];

  /** The cases every client runs: [path, query, expected status, expected tries]. */
  const cases: [string, Record<string, string>, number, number][] = [
    ['/code-500-attempts-3', { fail: '500', succeedAfter: '2' }, 200, 3],
    ['/code-500-attempts-3', { fail: '500', succeedAfter: '4' }, 500, 4],
    ['/code-500-attempts-3', { fail: '503', succeedAfter: '1' }, 503, 1],
    ['/no-status-code-attempts-3', { fail: 'reset', succeedAfter: '2' }, 200, 3],
    ['/no-status-code-attempts-3', { fail: 'reset', succeedAfter: '4' }, 503, 4],
    ['/no-status-code-attempts-3', { fail: '500', succeedAfter: '1' }, 500, 1],
    ['/backend-request-timeout-200ms', { fail: '500', succeedAfter: '2', delay: '300' }, 200, 3],
    ['/backend-request-timeout-200ms', { fail: '500', succeedAfter: '3', delay: '300' }, 504, 3],
    ['/no-retry', { fail: '500', succeedAfter: '1' }, 500, 1],
  ];

  it('HTTP/1.1 clients: statuses, connection errors and per-try timeouts are retried up to attempts', async () => {
    for (const [path, params, status, count] of cases) {
      const q = query(path, params);
      const res = await request(gw.port, { path: q.path, headers: { host: 'retry.test' } });
      assert.deepEqual([res.status, seen(q.id).length], [status, count], `${path} ${JSON.stringify(params)}`);
    }
    assert.deepEqual([...protocols], ['HTTP/2.0'], 'the backend is spoken to over HTTP/2');
  });

  it('HTTP/2 clients: the same', async () => {
    const session = await h2Connect(gw.port);
    try {
      for (const [path, params, status, count] of cases) {
        const q = query(path, params);
        const res = await h2Request(session, { ':path': q.path, ':authority': 'retry.test' });
        assert.deepEqual([res.status, seen(q.id).length], [status, count], `${path} ${JSON.stringify(params)}`);
      }
    } finally {
      session.close();
    }
  });

  it('a request with a body is not replayed once it was sent', async () => {
    const q = query('/code-500-attempts-3', { fail: '500', succeedAfter: '1' });
    const res = await request(gw.port, { method: 'PUT', path: q.path, headers: { host: 'retry.test', 'content-type': 'text/plain' }, body: 'payload' });
    assert.deepEqual([res.status, seen(q.id).length], [500, 1]);
  });

  it('keeps every retry within the request timeout, and waits the backoff', async () => {
    const start = performance.now();
    const late = query('/request-timeout-400ms', { fail: '500', succeedAfter: '4', delay: '100' });
    const res = await request(gw.port, { path: late.path, headers: { host: 'retry.test' } });
    assert.equal(res.status, 504);
    assert.ok(seen(late.id).length <= 5, `${seen(late.id).length} tries`);
    assert.ok(performance.now() - start < 2000, 'answered when the request timeout ran out');
    const backoff = query('/backoff-150ms', { fail: '500', succeedAfter: '1' });
    assert.equal((await request(gw.port, { path: backoff.path, headers: { host: 'retry.test' } })).status, 200);
    const times = seen(backoff.id);
    assert.ok(times[1]! - times[0]! >= 140, `retried after ${times[1]! - times[0]!} ms`);
  });
});
