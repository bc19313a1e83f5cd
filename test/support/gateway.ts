// Starts a real gateway in this process on loopback ports picked by the OS, serving manifests from a
// temp directory, and gives tests ways to change those manifests and wait until a change is served.
import { mkdtemp, rename, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { parseSettings } from '../../src/settings/settings.ts';
import { Gateway } from '../../src/runtime/gateway.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import type { RequestObserver } from '../../src/proxy/observer.ts';

export interface RunningGateway {
  gateway: Gateway;
  port: number;
  adminPort: number;
  dir: string;
  /** Writes (or replaces) a manifest file and waits until a snapshot newer than the current one is served. */
  writeManifest(name: string, yaml: string): Promise<void>;
  removeManifest(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startGateway(files: Record<string, string>, flags: string[] = [], observer?: RequestObserver): Promise<RunningGateway> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tideway-test-'));
  for (const [name, yaml] of Object.entries(files)) await writeFile(path.join(dir, name), yaml);
  const settings = parseSettings([
    '--manifests', dir, '--http-port', '0', '--admin-port', '0', '--bind-address', '127.0.0.1', '--admin-address', '127.0.0.1',
    '--workers', '1', '--log-level', 'silent', '--access-log', 'off', ...flags,
  ], {});
  const gateway = new Gateway({ settings, logger: silentLogger(), ...(observer ? { observer } : {}) });
  const ports = await gateway.start();
  const waitForNewSnapshot = async (action: () => Promise<void>): Promise<void> => {
    const before = gateway.snapshot.table.version;
    await action();
    const deadline = Date.now() + 5000;
    while (gateway.snapshot.table.version === before) {
      if (Date.now() > deadline) throw new Error('no new snapshot within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return {
    gateway,
    port: ports.http,
    adminPort: ports.admin,
    dir,
    // Written to a hidden file and renamed into place, as editors and kubectl-style tools save: a plain
    // writeFile truncates first, and a scan landing in between reads an empty manifest (no objects).
    writeManifest: (name, yaml) => waitForNewSnapshot(async () => {
      const temporary = path.join(dir, `.${name}.tmp`);
      await writeFile(temporary, yaml);
      await rename(temporary, path.join(dir, name));
    }),
    removeManifest: (name) => waitForNewSnapshot(() => unlink(path.join(dir, name))),
    close: async () => {
      await gateway.stop(0);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP/1.1 request with node:http (a fresh connection unless an agent is given). */
export function request(port: number, options: http.RequestOptions & { body?: string | Buffer } = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const { body, ...rest } = options;
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: '/', agent: false, ...rest }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
