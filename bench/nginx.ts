// nginx in two roles: the upstream every proxy forwards to, and the reference reverse proxy.
// Each instance gets its own prefix dir and config; nothing of the system's nginx setup is used.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, spawnTracked, unlessExited, type Tracked } from './lifecycle.ts';
import { LOOPBACK, pollUntil, portAccepts, httpRequest } from './net.ts';
import { childPids } from './procfs.ts';
import { toolPath } from './tools.ts';

/** Static bodies the upstream serves, by path. */
export const UPSTREAM_FILES: Readonly<Record<string, number>> = { '/small': 1024, '/64k': 65536 };
/** POST here: the upstream reads and discards the body and answers "ok\n". */
export const UPSTREAM_POST_PATH = '/post';
const STATUS_PATH = '/nginx-status';

export interface NginxInstance {
  readonly name: string;
  readonly port: number;
  readonly masterPid: number;
  readonly workerPids: readonly number[];
  readonly process: Tracked;
  stop(): Promise<void>;
}

interface ConfigParts {
  dir: string;
  workers: number;
  /** directives for the http block */
  http: string;
}

// Every connection stays open for the whole run, on every hop. nginx's defaults (keepalive_requests
// 1000) would close each connection after 1000 requests and make nginx pay reconnects that Node's
// server (no per-connection cap) does not; the cap is lifted everywhere so both proxies do the same work.
function config({ dir, workers, http }: ConfigParts): string {
  const temp = (name: string): string => `${name}_temp_path ${join(dir, 'temp', name)};`;
  return `worker_processes ${workers};
daemon off;
master_process on;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    ${temp('client_body')}
    ${temp('proxy')}
    ${temp('fastcgi')}
    ${temp('uwsgi')}
    ${temp('scgi')}
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    default_type application/octet-stream;
${http}
}
`;
}

export function upstreamConfig(dir: string, port: number): string {
  return config({
    dir,
    workers: 1,
    http: `    server {
        listen ${LOOPBACK}:${port} backlog=4096;
        root ${join(dir, 'www')};
        location / {
        }
        # reads the whole body (into memory: the buffer is larger than any body we send), discards
        # it, answers, and keeps the connection open
        location = ${UPSTREAM_POST_PATH} {
            client_body_buffer_size 64k;
            client_max_body_size 1m;
            return 200 "ok\\n";
        }
        # request and connection counters: throughput over time, and whether proxies reuse connections
        location = ${STATUS_PATH} {
            stub_status;
        }
    }`,
  });
}

// client_body_buffer_size: nginx's default (8k on x86-64) spools any larger request body to a temp
// file and then sends it upstream in two writes, which meets Nagle and the upstream's delayed ACK: a
// 16 KiB POST then runs at about 2.3k req/s with idle CPUs (see docs/benchmarks.md). Tideway streams
// bodies from memory; with a buffer that holds the body nginx does the same work.
export function proxyConfig(dir: string, port: number, upstreamPort: number, workers: number): string {
  return config({
    dir,
    workers,
    http: `    upstream bench_upstream {
        server ${LOOPBACK}:${upstreamPort};
        keepalive 64;
        keepalive_requests 10000000;
        keepalive_timeout 300s;
    }
    server {
        listen ${LOOPBACK}:${port} backlog=4096;
        client_body_buffer_size 64k;
        client_max_body_size 1m;
        location / {
            proxy_pass http://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }`,
  });
}

function writeUpstreamFiles(dir: string): void {
  const www = join(dir, 'www');
  mkdirSync(www);
  for (const [path, size] of Object.entries(UPSTREAM_FILES)) writeFileSync(join(www, path), Buffer.alloc(size, 'x'));
}

export type NginxRole = { role: 'upstream' } | { role: 'proxy'; upstreamPort: number; workers: number };

export interface StartNginxOptions {
  name: string;
  port: number;
  /** CPU list for taskset -c, e.g. "1" or "0,1" */
  cpus: string;
}

export async function startNginx(opts: StartNginxOptions & NginxRole): Promise<NginxInstance> {
  const dir = makeTempDir(`nginx-${opts.name}`);
  // as root, nginx's workers run as an unprivileged user: they must be able to read the prefix
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'temp'));
  let text: string;
  let workers: number;
  if (opts.role === 'upstream') {
    writeUpstreamFiles(dir);
    text = upstreamConfig(dir, opts.port);
    workers = 1;
  } else {
    text = proxyConfig(dir, opts.port, opts.upstreamPort, opts.workers);
    workers = opts.workers;
  }
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, text);
  const proc: Tracked = spawnTracked(`nginx ${opts.name}`, toolPath('taskset'), [
    '-c', opts.cpus, toolPath('nginx'), '-p', dir, '-c', confPath, '-e', 'stderr',
  ]);
  let workerPids: number[] = [];
  await unlessExited(
    proc,
    pollUntil(`nginx ${opts.name} on port ${opts.port}`, 10_000, async () => {
      workerPids = childPids(proc.pid);
      return workerPids.length >= workers && (await portAccepts(opts.port));
    }),
  );
  return { name: opts.name, port: opts.port, masterPid: proc.pid, workerPids, process: proc, stop: () => proc.stop() };
}

export interface UpstreamCounters {
  /** connections accepted since start */
  accepts: number;
  /** requests served since start */
  requests: number;
}

/** The upstream's stub_status counters. Each call is itself one connection and one request. */
export async function upstreamCounters(upstreamPort: number): Promise<UpstreamCounters> {
  const res = await httpRequest(upstreamPort, 'GET', STATUS_PATH);
  const match = /server accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)/.exec(res.body.toString('utf8'));
  if (res.status !== 200 || !match) throw new Error(`upstream ${STATUS_PATH}: unexpected answer (status ${res.status})`);
  return { accepts: Number(match[1]), requests: Number(match[3]) };
}
