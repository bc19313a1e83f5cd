// The live gauges as the real gateway moves them: open HTTP/1.1 connections, HTTP/2 sessions and
// WebSockets show on /metrics while they are open and are gone once closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { once } from 'node:events';
import { startGateway } from '../support/gateway.ts';
import { startBackend } from '../support/backends.ts';
import { ingressClassYaml, ingressYaml, serviceYaml } from '../support/manifests.ts';
import { waitFor } from '../support/cli-process.ts';

async function gauge(adminPort: number, protocol: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  const text = await res.text();
  const match = new RegExp(`^tideway_active_connections\\{protocol="${protocol.replace(/[./]/g, '\\$&')}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

test('active connections by protocol follow connections opening and closing', async () => {
  const backend = await startBackend('b');
  const gw = await startGateway({
    'class.yaml': ingressClassYaml(),
    'svc.yaml': serviceYaml({ name: 'b', endpoints: [['127.0.0.1', backend.port]] }),
    'ing.yaml': ingressYaml({ name: 'b', paths: [{ path: '/', service: 'b' }] }),
  });
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await new Promise<void>((resolve, reject) => http.get({ host: '127.0.0.1', port: gw.port, path: '/', agent }, (res) => res.resume().on('end', resolve)).on('error', reject));
    const session = http2.connect(`http://127.0.0.1:${gw.port}`);
    const stream = session.request({ ':path': '/' });
    stream.resume();
    await once(stream, 'end');
    await waitFor(async () => (await gauge(gw.adminPort, 'HTTP/1.1')) === 1 && (await gauge(gw.adminPort, 'HTTP/2')) === 1, 3000, 'both gauges at 1');
    agent.destroy();
    session.close();
    await waitFor(async () => (await gauge(gw.adminPort, 'HTTP/1.1')) === 0 && (await gauge(gw.adminPort, 'HTTP/2')) === 0, 3000, 'both gauges back to 0');
    assert.equal(await gauge(gw.adminPort, 'HTTP/2'), 0);
  } finally {
    await gw.close();
    await backend.close();
  }
});
