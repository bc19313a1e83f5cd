// Runs the real `tideway` CLI as a child process (from source, as `node src/cli/main.ts`), for tests of
// process-level behaviour: workers, signals, exit codes.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import http from 'node:http';
import { closedPort } from './ports.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'src/cli/main.ts');

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function startCli(args: string[], options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** GET on the admin port; resolves with the status, or 0 when the connection fails. */
export function adminStatus(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', () => resolve(0));
  });
}

/** Polls until `check` returns true, at most `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * `tideway --workers 2 --manifests <dir>` on free loopback HTTP and admin ports, quiet (warn, no access
 * log), `flags` appended; resolves once /readyz answers 200.
 */
export async function startWorkersCli(manifests: string, readyTimeoutMs: number, flags: string[] = [], options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<{ cli: CliProcess; httpPort: number; adminPort: number }> {
  const httpPort = await closedPort();
  const adminPort = await closedPort();
  const cli = startCli(['--workers', '2', '--manifests', manifests, '--http-port', String(httpPort), '--admin-port', String(adminPort), '--bind-address', '127.0.0.1', '--admin-address', '127.0.0.1', '--log-level', 'warn', '--access-log', 'off', ...flags], options);
  await waitFor(async () => (await adminStatus(adminPort, '/readyz')) === 200, readyTimeoutMs, 'readiness');
  return { cli, httpPort, adminPort };
}
