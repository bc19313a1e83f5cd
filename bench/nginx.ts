// nginx in two roles: the upstream every proxy forwards to, and the reference reverse proxy.
// Each instance gets its own prefix dir and config; nothing of the system's nginx setup is used.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, spawnTracked, unlessExited, type Tracked } from './lifecycle.ts';
import { LOOPBACK, pollUntil, portAccepts, httpRequest } from './net.ts';
import { childPids } from './procfs.ts';
import { toolPath } from './tools.ts';
import { GRPC_PATH_PREFIX, GRPC_RESPONSE_BYTES } from './scenarios.ts';

/** Static bodies the upstream serves, by path. */
const UPSTREAM_FILES: Readonly<Record<string, number>> = { '/64k': 65536 };
/** POST here: the upstream reads and discards the body and answers "ok\n". */
const UPSTREAM_POST_PATH = '/post';
/** POST here: the same, answered with 1 KiB. */
const UPSTREAM_POST_1K_PATH = '/post-1k';
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

/**
 * The upstream: HTTP/1.1 static files and /post on `port`; on `grpcPort`, HTTP/2 cleartext (prior
 * knowledge, as gRPC clients speak it) answering every call with a fixed 64-byte body and
 * grpc-status 0 in trailers, like a gRPC server's unary answer.
 */
function upstreamConfig(dir: string, port: number, grpcPort: number): string {
  return config({
    dir,
    workers: 1,
    http: `    server {
        listen ${LOOPBACK}:${grpcPort} http2 backlog=4096;
        client_body_buffer_size 64k;
        location ${GRPC_PATH_PREFIX} {
            default_type application/grpc;
            add_trailer grpc-status 0;
            return 200 "${'g'.repeat(GRPC_RESPONSE_BYTES)}";
        }
    }
    server {
        listen ${LOOPBACK}:${port} backlog=4096;
        root ${join(dir, 'www')};
        location / {
        }
        # 1 KiB from memory, as the side-by-side harness's upstream answers: served from a file, the
        # upstream's open/read/close per request made CPU 0 (wrk and the upstream) the ceiling of the
        # small-request scenarios for nginx as the proxy, and flattered every slower proxy's ratio
        location = /small {
            return 200 "${'s'.repeat(1024)}";
        }
        # the 64 KiB file again, sent with sendfile and tcp_nopush (nginx's defaults are off): the
        # side-by-side harness's upstream, whose segments reach the proxy in other sizes and at other times
        location = /64k-sendfile {
            alias ${join(dir, 'www', '64k')};
            sendfile on;
            tcp_nopush on;
        }
        # the same again under another name, so the proxy in front can treat it differently
        location = /64k-peers {
            alias ${join(dir, 'www', '64k')};
            sendfile on;
            tcp_nopush on;
        }
        # reads the whole body (into memory: the buffer is larger than any body we send), discards
        # it, answers, and keeps the connection open
        location = ${UPSTREAM_POST_PATH} {
            client_body_buffer_size 64k;
            client_max_body_size 1m;
            return 200 "ok\\n";
        }
        location = ${UPSTREAM_POST_1K_PATH} {
            client_body_buffer_size 64k;
            client_max_body_size 1m;
            return 200 "${'k'.repeat(1024)}";
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
//
// The TLS server (HTTP/2 by ALPN) proxies the same way, and gRPC calls with grpc_pass to the upstream's
// HTTP/2 port over kept-alive connections, as Tideway does with a grpc backend.
function proxyConfig(dir: string, ports: ProxyPorts, workers: number): string {
  const { port, upstreamPort } = ports;
  return config({
    dir,
    workers,
    http: `    # WebSocket upgrades pass through (bench/websocket.ts); other requests keep upstream keep-alive
    map $http_upgrade $connection_upgrade {
        default upgrade;
        '' '';
    }
    upstream bench_upstream {
        server ${LOOPBACK}:${upstreamPort};
        keepalive 64;
        keepalive_requests 10000000;
        keepalive_timeout 300s;
    }
    upstream bench_grpc {
        server ${LOOPBACK}:${ports.upstreamGrpcPort};
        keepalive 64;
        keepalive_requests 10000000;
        keepalive_timeout 300s;
    }
    server {
        listen ${LOOPBACK}:${ports.tlsPort} ssl http2 backlog=4096;
        ssl_certificate ${join(dir, 'proxy.crt')};
        ssl_certificate_key ${join(dir, 'proxy.key')};
        ssl_protocols TLSv1.2 TLSv1.3;
        http2_max_concurrent_streams 250;
        client_body_buffer_size 64k;
        client_max_body_size 1m;
        location / {
            proxy_pass http://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location ${GRPC_PATH_PREFIX} {
            grpc_pass grpc://bench_grpc;
        }
    }
    server {
        listen ${LOOPBACK}:${port} backlog=4096;
        client_body_buffer_size 64k;
        client_max_body_size 1m;
        location / {
            proxy_pass http://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
        }
        # get-64k-peers: the side-by-side harness's nginx proxy (../shared/bench-peers/conf/nginx-proxy.conf),
        # whose 8 x 16 KiB proxy buffers take a 64 KiB answer in four reads instead of sixteen 4 KiB ones
        location = /64k-peers {
            proxy_pass http://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_buffers 8 16k;
        }
    }
    # HTTP/2 cleartext with prior knowledge (nginx 1.22 cannot serve it next to HTTP/1.1 on one port)
    server {
        listen ${LOOPBACK}:${ports.h2cPort} http2 backlog=4096;
        http2_max_concurrent_streams 250;
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

export interface ProxyPorts {
  /** plain HTTP/1.1 */
  port: number;
  /** TLS, HTTP/2 by ALPN */
  tlsPort: number;
  /** HTTP/2 cleartext, prior knowledge */
  h2cPort: number;
  upstreamPort: number;
  upstreamGrpcPort: number;
}

/** A self-signed EC certificate for the proxy's TLS port (the load tools do not verify it). */
function writeProxyCertificate(dir: string): void {
  execFileSync(toolPath('openssl'), [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=bench.test', '-keyout', join(dir, 'proxy.key'), '-out', join(dir, 'proxy.crt'),
  ], { stdio: 'pipe' });
}

export type NginxRole = { role: 'upstream'; grpcPort: number } | { role: 'proxy'; ports: Omit<ProxyPorts, 'port'>; workers: number };

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
    text = upstreamConfig(dir, opts.port, opts.grpcPort);
    workers = 1;
  } else {
    writeProxyCertificate(dir);
    text = proxyConfig(dir, { port: opts.port, ...opts.ports }, opts.workers);
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
