// What the harness measures, as data. A new scenario is one more entry here; a new load tool is one
// more `LoadSpec` variant and one more runner in load.ts (wrk for HTTP/1.1, h2load for HTTP/2 and gRPC).
import { middlewareScenarios } from './middleware-scenarios.ts';

export type ProxyName = 'tideway' | 'nginx';
export const PROXY_NAMES: readonly ProxyName[] = ['tideway', 'nginx'];

/** How load is generated: wrk for HTTP/1.1, h2load for HTTP/2 (TLS with ALPN h2) and gRPC-sized calls. */
export interface WrkLoad {
  tool: 'wrk';
  threads: number;
  connections: number;
}
export interface H2loadLoad {
  tool: 'h2load';
  /** client connections */
  connections: number;
  /** concurrent streams per connection */
  streams: number;
}
export type LoadSpec = WrkLoad | H2loadLoad;

export interface Scenario {
  name: string;
  description: string;
  load: LoadSpec;
  method: 'GET' | 'POST';
  /** path on the upstream (nginx.ts serves /small, /64k, /post and the gRPC method paths) */
  path: string;
  /** request body size; the body is that many "x" */
  bodyBytes: number;
  /** response body size the preflight check expects */
  responseBytes: number;
  /** proxies this scenario runs against */
  proxies: readonly ProxyName[];
  /** worker processes of each proxy (nginx worker_processes, Tideway --workers) */
  workers: number;
  /** sample the proxies' resident memory during this scenario's measured runs */
  sampleMemory: boolean;
  /** sent to the proxies' TLS port (HTTP/2 by ALPN) instead of the plain one */
  tls?: boolean;
  /** HTTP/2 cleartext with prior knowledge (Tideway: its plain port; nginx: a port of its own) */
  h2c?: boolean;
  /** extra request headers */
  headers?: Readonly<Record<string, string>>;
  /** extra gateway flags for this scenario (its own gateway instance), e.g. the access log turned on */
  tidewayFlags?: readonly string[];
}

const WRK_DEFAULT: WrkLoad = { tool: 'wrk', threads: 1, connections: 50 };
/**
 * 5 connections of 10 streams: the same 50 requests in flight as the wrk scenarios, over few connections
 * as browsers and gRPC channels multiplex (and within both proxies' 64 idle upstream connections).
 */
const H2LOAD_DEFAULT: H2loadLoad = { tool: 'h2load', connections: 5, streams: 10 };

/** A gRPC-sized unary call: a 100-byte request message to a method path, answered by the gRPC upstream. */
export const GRPC_PATH_PREFIX = '/bench.Echo/';
export const GRPC_RESPONSE_BYTES = 64;

const BASE_SCENARIOS: readonly Scenario[] = [
  {
    name: 'small-get',
    description: 'GET of a 1 KiB body, keep-alive',
    load: WRK_DEFAULT,
    method: 'GET',
    path: '/small',
    bodyBytes: 0,
    responseBytes: 1024,
    proxies: PROXY_NAMES,
    workers: 1,
    sampleMemory: true,
  },
  {
    name: 'get-64k',
    description: 'GET of a 64 KiB body, keep-alive',
    load: WRK_DEFAULT,
    method: 'GET',
    path: '/64k',
    bodyBytes: 0,
    responseBytes: 65536,
    proxies: PROXY_NAMES,
    workers: 1,
    sampleMemory: false,
  },
  {
    name: 'post-16k',
    description: 'POST of a 16 KiB body, 3-byte answer, keep-alive',
    load: WRK_DEFAULT,
    method: 'POST',
    path: '/post',
    bodyBytes: 16384,
    responseBytes: 3,
    proxies: PROXY_NAMES,
    workers: 1,
    sampleMemory: false,
  },
  {
    name: 'h2-tls-small-get',
    description: 'HTTP/2 over TLS (ALPN h2): GET of a 1 KiB body, 5 connections x 10 streams',
    load: H2LOAD_DEFAULT,
    method: 'GET',
    path: '/small',
    bodyBytes: 0,
    responseBytes: 1024,
    proxies: PROXY_NAMES,
    workers: 1,
    sampleMemory: false,
    tls: true,
  },
  {
    name: 'grpc-unary-tls',
    description: 'gRPC-sized unary calls over TLS (100-byte request, 64-byte answer with trailers) to an h2c gRPC upstream',
    load: H2LOAD_DEFAULT,
    method: 'POST',
    path: `${GRPC_PATH_PREFIX}Unary`,
    bodyBytes: 100,
    responseBytes: GRPC_RESPONSE_BYTES,
    proxies: PROXY_NAMES,
    workers: 1,
    sampleMemory: false,
    tls: true,
    headers: { 'content-type': 'application/grpc', te: 'trailers' },
  },
];

const [SMALL_GET, GET_64K, POST_16K, H2_TLS_SMALL_GET] = BASE_SCENARIOS as [Scenario, Scenario, Scenario, Scenario];

export const SCENARIOS: readonly Scenario[] = [
  ...BASE_SCENARIOS,
  // The side-by-side harness's upstream behaviour (docs/benchmarks.md, "Two harnesses").
  { ...GET_64K, name: 'get-64k-sendfile', description: 'get-64k from an upstream that sends the file with sendfile and tcp_nopush', path: '/64k-sendfile' },
  // ... and its nginx proxy too (proxy_buffers 8 16k, forwarding headers set): the whole setup of that harness.
  { ...GET_64K, name: 'get-64k-peers', description: 'get-64k-sendfile through an nginx with the side-by-side harness\'s proxy_buffers 8 16k', path: '/64k-peers' },
  { ...POST_16K, name: 'post-16k-1k', description: 'POST of a 16 KiB body, 1 KiB answer, keep-alive', path: '/post-1k', responseBytes: 1024 },
  // HTTP/2 without TLS: what TLS costs, against h2-tls-small-get.
  { ...H2_TLS_SMALL_GET, name: 'h2c-small-get', description: 'HTTP/2 cleartext (prior knowledge): GET of a 1 KiB body, 5 connections x 10 streams', tls: false, h2c: true },
  // HTTP/1.1 over TLS (wrk offers no ALPN): what TLS costs on the HTTP/1.1 path, against small-get.
  { ...SMALL_GET, name: 'https-small-get', description: 'small-get over TLS 1.3 (HTTP/1.1, keep-alive)', tls: true, sampleMemory: false },
  // Both proxies with two workers spread over both CPUs (sharing them with wrk and the upstream).
  { ...SMALL_GET, name: 'small-get-2w', description: 'GET of a 1 KiB body, 2 workers each on both CPUs', workers: 2 },
  // The cost of the access log (metrics are always on), against small-get.
  { ...SMALL_GET, name: 'small-get-logged', description: 'small-get with the JSON access log on (to a pipe)', proxies: ['tideway'], sampleMemory: false, tidewayFlags: ['--access-log', 'on'] },
  ...middlewareScenarios(SMALL_GET),
];

/** Proxies run on CPU 1 alone, or on every CPU when they have several workers. */
export function proxyCpus(workers: number): string {
  return workers > 1 ? '0,1' : PLACEMENT.proxy;
}

/** Where each part runs. The upstream and the load generator share CPU 0 so the proxy has CPU 1 to itself. */
export const PLACEMENT = { upstream: '0', load: '0', proxy: '1' } as const;
