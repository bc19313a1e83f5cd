import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../examples/backends/echo-server.ts', import.meta.url));

describe('examples/backends/echo-server.ts as a process', () => {
  let child: ChildProcess;
  let base: string;

  before(async () => {
    child = spawn(process.execPath, [script, '--name', 'smoke', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await Promise.race([
      once(createInterface({ input: child.stdout! }), 'line'),
      once(child, 'exit').then(([code]) => { throw new Error(`echo-server exited with ${code} before listening`); }),
    ])) as [string];
    const { listening } = JSON.parse(line) as { listening: number };
    assert.ok(Number.isInteger(listening) && listening > 0, `listening on ${listening}`);
    base = `http://127.0.0.1:${listening}`;
  });

  after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('describes the request it received', async () => {
    const res = await fetch(`${base}/some/path?q=1`, { method: 'POST', body: 'hello', headers: { 'x-test': 'yes' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-backend'), 'smoke');
    const echo = await res.json() as Record<string, unknown>;
    assert.equal(echo.backend, 'smoke');
    assert.equal(echo.method, 'POST');
    assert.equal(echo.url, '/some/path?q=1');
    assert.equal(echo.path, '/some/path');
    assert.equal(echo.bodyLength, 5);
    assert.equal((echo.headers as Record<string, string>)['x-test'], 'yes');
  });

  it('answers /status/<code> with that status, also under a prefix', async () => {
    assert.equal((await fetch(`${base}/status/418`)).status, 418);
    const res = await fetch(`${base}/api/status/503`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { backend: string }).backend, 'smoke');
    assert.equal((await fetch(`${base}/status/204`)).status, 204);
  });

  it('answers /delay/<ms> after the delay', async () => {
    const started = performance.now();
    const res = await fetch(`${base}/delay/120`);
    assert.equal(res.status, 200);
    assert.ok(performance.now() - started >= 115, 'answered before the delay');
  });

  it('rejects bad status codes and delays with 400 and a message', async () => {
    for (const [path, message] of [
      ['/status/abc', 'status must be a number from 200 to 599, got "abc"'],
      ['/status/99', 'status must be a number from 200 to 599, got "99"'],
      ['/delay/-5', 'delay must be a number of milliseconds from 0 to 60000, got "-5"'],
      ['/delay/100000', 'delay must be a number of milliseconds from 0 to 60000, got "100000"'],
    ]) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 400, path);
      assert.deepEqual(await res.json(), { error: message });
    }
  });

  it('exits 0 on SIGTERM', async () => {
    child.kill('SIGTERM');
    const [code, signal] = await once(child, 'exit');
    assert.deepEqual([code, signal], [0, null]);
  });
});

describe('examples/backends/echo-server.ts arguments', () => {
  it('exits 2 naming a bad --port', async () => {
    const child = spawn(process.execPath, [script, '--port', 'http'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk; });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.equal(stderr, 'echo-server: --port must be a port number from 0 to 65535, got "http"\n');
  });
});
