// `npm start`: the quickstart. Starts the three demo backends that examples/quickstart points at, then
// the gateway serving those manifests, prints what to try, and stops everything on Ctrl-C.
//
//   HTTP_PORT=8080 ADMIN_PORT=9901 npm start      (the defaults)
//
// The backends' ports are fixed because the EndpointSlices in examples/quickstart name them.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEchoServer } from '../examples/backends/echo-server.ts';
import type { EchoServer } from '../examples/backends/echo-server.ts';

/** Must match examples/quickstart/endpointslices.yaml (a test checks that they do). */
export const DEMO_BACKENDS = [
  { name: 'web-1', service: 'web', port: 18081 },
  { name: 'web-2', service: 'web', port: 18082 },
  { name: 'api-1', service: 'api', port: 18083 },
] as const;

const READY_DEADLINE_MS = 20_000;
const STOP_DEADLINE_MS = 15_000;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a port number from 1 to 65535, got "${raw}"`);
  return port;
}

async function startBackends(): Promise<EchoServer[]> {
  const started = await Promise.allSettled(DEMO_BACKENDS.map((b) => startEchoServer({ name: b.name, port: b.port })));
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.findIndex((r) => r.status === 'rejected');
  if (failed === -1) return servers;
  await Promise.all(servers.map((s) => s.close()));
  const reason = (started[failed] as PromiseRejectedResult).reason as NodeJS.ErrnoException;
  const hint = reason.code === 'EADDRINUSE' ? ' is in use (is another quickstart still running?)' : `: ${reason.message}`;
  throw new Error(`cannot start demo backend ${DEMO_BACKENDS[failed]!.name}: port ${DEMO_BACKENDS[failed]!.port}${hint}`);
}

/** Polls the admin port's /readyz until the first snapshot is served, the gateway exits, or the deadline. */
async function waitUntilReady(gateway: ChildProcess, adminPort: number): Promise<boolean> {
  const deadline = performance.now() + READY_DEADLINE_MS;
  while (performance.now() < deadline && gateway.exitCode === null && gateway.signalCode === null) {
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return false;
}

async function stopGateway(gateway: ChildProcess): Promise<void> {
  if (gateway.exitCode !== null || gateway.signalCode !== null) return;
  const exited = once(gateway, 'exit');
  gateway.kill('SIGTERM'); // the gateway drains in-flight requests, then exits
  const timer = setTimeout(() => gateway.kill('SIGKILL'), STOP_DEADLINE_MS);
  await exited;
  clearTimeout(timer);
}

function instructions(httpPort: number, adminPort: number): string {
  const http = `http://127.0.0.1:${httpPort}`;
  return [
    '',
    `Tideway is serving examples/quickstart on ${http} (admin on http://127.0.0.1:${adminPort}). Try:`,
    `  curl -H 'Host: shop.localhost' ${http}/api/          # -> Service api (backend api-1)`,
    `  curl -H 'Host: shop.localhost' ${http}/              # -> Service web; repeat it: web-1 and web-2 take turns`,
    `  curl ${http}/anything                                # no Host rule matches: the rule without a host, Service web`,
    `  curl -H 'Host: shop.localhost' ${http}/api/status/503  # the backend answers 503: see what the gateway passes on`,
    `  curl 'http://127.0.0.1:${adminPort}/api/explain?host=shop.localhost&path=/api/orders'`,
    'Edit a file in examples/quickstart/ and the change is served within a second. Ctrl-C stops everything.',
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const httpPort = portFromEnv('HTTP_PORT', 8080);
  const adminPort = portFromEnv('ADMIN_PORT', 9901);
  const backends = await startBackends();
  process.stdout.write(`Demo backends: ${DEMO_BACKENDS.map((b) => `${b.name} on 127.0.0.1:${b.port}`).join(', ')}\n`);

  // Its own process group: Ctrl-C reaches only this script, which then stops the gateway with exactly
  // one SIGTERM (a second signal could cut the gateway's drain short).
  const gateway = spawn(
    process.execPath,
    ['bin/tideway.js', '--manifests', 'examples/quickstart', '--http-port', String(httpPort), '--admin-port', String(adminPort)],
    { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'], detached: true },
  );
  const killOnExit = () => gateway.kill('SIGKILL'); // if this script dies unexpectedly, do not leave the gateway behind
  process.on('exit', killOnExit);

  let stopping: Promise<number> | undefined;
  const stop = (code: number): Promise<number> => {
    stopping ??= (async () => {
      await stopGateway(gateway);
      await Promise.all(backends.map((b) => b.close()));
      process.off('exit', killOnExit);
      return code;
    })();
    return stopping;
  };
  const exitCode = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`${signal} again: killing the gateway\n`);
        gateway.kill('SIGKILL');
        return;
      }
      process.stdout.write(`\n${signal}: stopping the gateway and the demo backends\n`);
      void stop(0).then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    gateway.once('error', (error) => {
      process.stderr.write(`cannot start the gateway: ${error.message}\n`);
      void stop(1).then(resolve);
    });
    gateway.once('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`the gateway exited (${signal ?? `code ${code}`}); stopping the demo backends\n`);
      void stop(code || 1).then(resolve);
    });
  });

  if (await waitUntilReady(gateway, adminPort)) process.stdout.write(instructions(httpPort, adminPort));
  else if (!stopping) process.stderr.write(`the gateway is not ready after ${READY_DEADLINE_MS / 1000} s (GET /readyz on port ${adminPort}); still waiting, Ctrl-C to stop\n`);
  return exitCode;
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`quickstart: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
