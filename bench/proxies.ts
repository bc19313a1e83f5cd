// Starting the proxies under test, each as a ProxyTarget the measuring loop can drive.
import { assertRunning, ProcessExitError } from './lifecycle.ts';
import type { ProxyTarget } from './measure.ts';
import { freePort } from './net.ts';
import { startNginx } from './nginx.ts';
import { processTree } from './procfs.ts';
import { proxyCpus, type ProxyName } from './scenarios.ts';
import { startTideway, type TidewayInstance } from './tideway.ts';

export interface RunningProxy extends ProxyTarget {
  /** how it was started, for the result file */
  readonly command: string;
  stop(): Promise<void>;
}

export interface ProxyStartOptions {
  upstreamPort: number;
  upstreamGrpcPort: number;
  workers: number;
  tidewayEntry: string;
  /** gateway flags added after the harness's own (later flags win) */
  tidewayFlags?: readonly string[];
}

/** Ports are picked free, then bound by the proxy: on a shared machine another process may take one in between. */
const PORT_RACE_ATTEMPTS = 3;

export async function startProxy(name: ProxyName, opts: ProxyStartOptions): Promise<RunningProxy> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startProxyOnce(name, opts);
    } catch (e) {
      const portTaken = e instanceof ProcessExitError && /EADDRINUSE|Address already in use/.test(e.message);
      if (!portTaken || attempt === PORT_RACE_ATTEMPTS) throw e;
    }
  }
}

async function startProxyOnce(name: ProxyName, opts: ProxyStartOptions): Promise<RunningProxy> {
  const port = await freePort();
  const tlsPort = await freePort();
  if (name === 'nginx') {
    const h2cPort = await freePort();
    const ports = { tlsPort, h2cPort, upstreamPort: opts.upstreamPort, upstreamGrpcPort: opts.upstreamGrpcPort };
    const nginx = await startNginx({ name: 'proxy', role: 'proxy', port, cpus: proxyCpus(opts.workers), ports, workers: opts.workers });
    return {
      name,
      port,
      tlsPort,
      h2cPort,
      command: `taskset -c ${proxyCpus(opts.workers)} nginx (worker_processes ${opts.workers}, upstream keepalive 64)`,
      memoryProcesses: () => nginx.workerPids.map((pid) => ({ pid, role: 'worker' })),
      checkAlive: () => assertRunning(nginx.process),
      stop: () => nginx.stop(),
    };
  }
  const tideway: TidewayInstance = await startTideway({
    entry: opts.tidewayEntry,
    upstreamPort: opts.upstreamPort,
    upstreamGrpcPort: opts.upstreamGrpcPort,
    httpPort: port,
    httpsPort: tlsPort,
    adminPort: await freePort(),
    workers: opts.workers,
    cpus: proxyCpus(opts.workers),
    extraArgs: opts.tidewayFlags ?? [],
  });
  return {
    name,
    port,
    tlsPort,
    // h2c is recognised by its preface on the plain port
    h2cPort: port,
    command: `taskset -c ${proxyCpus(opts.workers)} node ${tideway.args.join(' ')}`,
    // with --workers N the data plane runs in child processes: the footprint is the whole tree
    memoryProcesses: () => processTree(tideway.pid).map((pid, i) => ({ pid, role: opts.workers === 1 ? 'process' : i === 0 ? 'primary' : 'worker' })),
    checkAlive: () => assertRunning(tideway.process),
    stop: () => tideway.stop(),
  };
}
