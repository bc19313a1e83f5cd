// Request targets and Host (RFC 9112 3.2, RFC 9113 8.3.1): an absolute-form target's authority replaces
// the Host for routing and upstream and goes upstream in origin-form; invalid Host values get 400 and are
// never forwarded; `OPTIONS *` is answered by the gateway; CONNECT gets 405. Over HTTP/1.1 (raw bytes)
// and HTTP/2 (node:http2 with prior knowledge).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type http2 from 'node:http2';
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { startBackend, type TestBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { rawRequest, statusOf } from '../support/raw-client.ts';
import { h2Connect, h2Request } from '../protocols/support/h2.ts';
import { isValidHost, sameAuthority, targetForm, TARGET, absoluteAuthority, absoluteOriginForm } from '../../src/proxy/request-target.ts';

describe('request-target building blocks', () => {
  test('valid hosts: reg-names, IPv4, IP-literals, ports, the empty host', () => {
    for (const host of ['a.example', 'A.Example:8080', 'a.example.', '127.0.0.1', '127.0.0.1:80', '[::1]', '[::1]:443', '[2001:db8::7]',
      '[v1.fe:80]', 'xn--bcher-kva.example', 'a_b.example', '%41.example', 'a.example:', '']) {
      assert.ok(isValidHost(host), host);
    }
  });

  test('invalid hosts: spaces, userinfo, paths, bad ports, broken literals, non-ASCII', () => {
    for (const host of ['a b', 'user@a.example', 'a.example/x', 'a.example:80x', 'a.example:-1', 'a.example:80:80', '[::1', '[zz]',
      '[::1]x', '[fe80::1%eth0]', 'a.example?', 'a#b', '%4', '%zz.example', 'bücher.example', 'a"b', 'a<b>', '::1', 'a\\b']) {
      assert.ok(!isValidHost(host), host);
    }
  });

  test('target forms and the parts of an absolute-form target', () => {
    assert.equal(targetForm('/x', 'GET'), TARGET.ORIGIN);
    assert.equal(targetForm('http://a.example/x', 'GET'), TARGET.ABSOLUTE);
    assert.equal(targetForm('HTTPS://a.example', 'GET'), TARGET.ABSOLUTE);
    assert.equal(targetForm('*', 'OPTIONS'), TARGET.ASTERISK);
    assert.equal(targetForm('a.example:443', 'CONNECT'), TARGET.AUTHORITY);
    for (const bad of ['ftp://a.example/', 'http:///x', 'http://:80/x', 'x/y', 'a.example:443', 'http:/a']) assert.equal(targetForm(bad, 'GET'), TARGET.INVALID, bad);
    assert.equal(absoluteAuthority('http://a.example:8080/x?y'), 'a.example:8080');
    assert.equal(absoluteOriginForm('http://a.example:8080/x?y'), '/x?y');
    assert.equal(absoluteOriginForm('http://a.example?y=1'), '/?y=1');
    assert.equal(absoluteOriginForm('http://a.example'), '/');
    assert.equal(absoluteAuthority('http://u@a.example/'), 'u@a.example');
    assert.ok(sameAuthority('A.example', 'a.example.'));
    assert.ok(!sameAuthority('a.example', 'b.example'));
    assert.ok(!sameAuthority('a.example:80', 'a.example:81'));
  });
});

describe('request targets and Host through the gateway', () => {
  let gw: RunningGateway;
  let a: TestBackend;
  let b: TestBackend;
  let other: TestBackend;
  let session: http2.ClientHttp2Session;

  before(async () => {
    a = await startBackend('a');
    b = await startBackend('b');
    other = await startBackend('other');
    gw = await startGateway({
      'class.yaml': ingressClassYaml(),
      'svc.yaml': [
        serviceYaml({ name: 'a', endpoints: [['127.0.0.1', a.port]] }),
        serviceYaml({ name: 'b', endpoints: [['127.0.0.1', b.port]] }),
        serviceYaml({ name: 'other', endpoints: [['127.0.0.1', other.port]] }),
      ].join('---\n'),
      'ing.yaml': [
        ingressYaml({ name: 'a', host: 'a.example', paths: [{ path: '/', service: 'a' }] }),
        ingressYaml({ name: 'b', host: 'b.example', paths: [{ path: '/', service: 'b' }] }),
        ingressYaml({ name: 'other', paths: [{ path: '/', service: 'other' }] }),
      ].join('---\n'),
    });
    session = await h2Connect(gw.port);
  });
  after(async () => {
    session.close();
    await gw.close();
    await Promise.all([a.close(), b.close(), other.close()]);
  });

  const clear = (): void => {
    for (const backend of [a, b, other]) backend.received.length = 0;
  };
  const forwarded = (): number => a.received.length + b.received.length + other.received.length;
  const send = (payload: string) => rawRequest(gw.port, payload, { timeoutMs: 3000, until: (d) => /\r\n\r\n/.test(d) && /Content-Length: 0\r\n\r\n$|\}$|\n$/.test(d) });

  test('absolute-form: the target authority routes and becomes the upstream Host; origin-form upstream', async () => {
    clear();
    const res = await send('GET http://a.example/x?q=1 HTTP/1.1\r\nHost: b.example\r\n\r\n');
    assert.equal(statusOf(res.data), 200);
    assert.equal(b.received.length, 0, 'routed by the Host field instead of the target');
    assert.equal(a.received.length, 1);
    assert.equal(a.received[0]!.url, '/x?q=1');
    assert.equal(a.received[0]!.headers.host, 'a.example');
    assert.equal(a.received[0]!.headers['x-forwarded-host'], 'a.example');
    assert.equal(a.received[0]!.rawHeaders.filter((h) => h.toLowerCase() === 'host').length, 1);
  });

  test('absolute-form without a path goes upstream as "/"; scheme case and port are kept apart', async () => {
    clear();
    const res = await send('GET HTTP://A.example:8080?k=v HTTP/1.1\r\nHost: b.example\r\n\r\n');
    assert.equal(statusOf(res.data), 200);
    assert.equal(a.received[0]!.url, '/?k=v');
    assert.equal(a.received[0]!.headers.host, 'A.example:8080');
  });

  test('HTTP/1.0 absolute-form without Host gets the authority as Host upstream', async () => {
    clear();
    const res = await send('GET http://a.example/old HTTP/1.0\r\n\r\n');
    assert.equal(statusOf(res.data), 200);
    assert.equal(a.received[0]!.url, '/old');
    assert.equal(a.received[0]!.headers.host, 'a.example');
  });

  test('HTTP/1.1 absolute-form still needs a valid Host field (RFC 9112 3.2)', async () => {
    clear();
    assert.equal(statusOf((await send('GET http://a.example/x HTTP/1.1\r\n\r\n')).data), 400);
    assert.equal(statusOf((await send('GET http://a.example/x HTTP/1.1\r\nHost: a b\r\n\r\n')).data), 400);
    assert.equal(forwarded(), 0);
  });

  test('invalid Host values get 400, close, and are never forwarded', async () => {
    clear();
    for (const host of ['a b', 'user@a.example', 'a.example/x', 'a.example:80x', '[::1', 'a.example:80:80', 'a<b>', 'a\\b']) {
      // Read until the gateway closes: an answer followed by an open connection fails.
      const res = await rawRequest(gw.port, `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, { timeoutMs: 3000 });
      assert.equal(statusOf(res.data), 400, host);
      assert.ok(res.closed, `connection left open after Host ${host}`);
    }
    assert.equal(forwarded(), 0);
  });

  test('an IP-literal Host is routed like any host', async () => {
    clear();
    const res = await send('GET /v6 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n');
    assert.equal(statusOf(res.data), 200);
    assert.equal(other.received[0]!.headers.host, '[::1]:8080');
  });

  test('invalid targets get 400: userinfo, other schemes, empty hosts, relative paths, * for GET', async () => {
    clear();
    for (const target of ['http://u@a.example/x', 'ftp://a.example/x', 'http:///x', 'x/y', 'a.example:80', '*', 'http://a b/']) {
      const res = await send(`GET ${target} HTTP/1.1\r\nHost: a.example\r\n\r\n`);
      // llhttp itself refuses some of these (a space in the target); either way never forwarded.
      assert.equal(statusOf(res.data), 400, target);
    }
    assert.equal(forwarded(), 0);
  });

  test('OPTIONS * is answered by the gateway with Allow, and the connection stays usable', async () => {
    clear();
    const res = await rawRequest(gw.port, 'OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\nGET /after HTTP/1.1\r\nHost: a.example\r\n\r\n', { timeoutMs: 3000, until: (d) => d.endsWith('}') });
    assert.equal(statusOf(res.data), 200);
    assert.match(res.data, /Allow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS/);
    assert.equal(a.received.length, 1, 'OPTIONS * was forwarded, or the next request was lost');
    assert.equal(a.received[0]!.url, '/after');
  });

  test('CONNECT (authority-form) gets 405 and is not forwarded', async () => {
    clear();
    const res = await send('CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n');
    assert.equal(statusOf(res.data), 405);
    assert.equal(forwarded(), 0);
  });

  test('HTTP/2: :authority routes and is the upstream Host', async () => {
    clear();
    const res = await h2Request(session, { ':authority': 'a.example', ':path': '/h2' });
    assert.equal(res.status, 200);
    assert.equal(a.received[0]!.headers.host, 'a.example');
  });

  test('HTTP/2: a Host field that differs from :authority is malformed (400, not forwarded)', async () => {
    clear();
    const res = await h2Request(session, { ':authority': 'a.example', ':path': '/h2', host: 'b.example' });
    assert.equal(res.status, 400);
    const same = await h2Request(session, { ':authority': 'a.example', ':path': '/h2', host: 'A.example' });
    assert.equal(same.status, 200);
    assert.equal(b.received.length, 0);
    assert.equal(a.received.length, 1);
  });

  test('HTTP/2: invalid :authority, absolute or relative :path, * for GET: refused (400 or a stream reset), never forwarded', async () => {
    clear();
    // nghttp2 resets most of these itself (PROTOCOL_ERROR); the gateway's own check answers 400 otherwise.
    const outcome = (headers: http2.OutgoingHttpHeaders): Promise<number | string> => h2Request(session, headers).then((r) => r.status, (e: Error) => e.message);
    for (const headers of [
      { ':authority': 'a b', ':path': '/' },
      { ':authority': 'u@a.example', ':path': '/' },
      { ':authority': 'a.example', ':path': 'http://b.example/x' },
      { ':authority': 'a.example', ':path': 'x' },
      { ':authority': 'a.example', ':path': '*' },
      { ':authority': 'a.example', ':path': '/', host: 'a.example:80x' },
    ]) {
      const result = await outcome(headers);
      assert.ok(result === 400 || /PROTOCOL_ERROR/.test(String(result)), `${JSON.stringify(headers)}: ${result}`);
    }
    assert.equal(forwarded(), 0);
  });

  test('HTTP/2: OPTIONS * is answered by the gateway', async () => {
    clear();
    const res = await h2Request(session, { ':method': 'OPTIONS', ':authority': 'a.example', ':path': '*' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.allow, 'GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS');
    assert.equal(forwarded(), 0);
  });
});
