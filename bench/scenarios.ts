// What the harness measures, as data. A new scenario is one more entry here; a new load tool (h2load
// for HTTP/2 and gRPC-sized calls) is one more `LoadSpec` variant and one more runner in load.ts.

export type ProxyName = 'tideway' | 'nginx';
export const PROXY_NAMES: readonly ProxyName[] = ['tideway', 'nginx'];

/** How load is generated. Only wrk so far; h2load (HTTP/2, gRPC) is the next variant. */
export interface WrkLoad {
  tool: 'wrk';
  threads: number;
  connections: number;
}
export type LoadSpec = WrkLoad;

export interface Scenario {
  name: string;
  description: string;
  load: LoadSpec;
  method: 'GET' | 'POST';
  /** path on the upstream (see UPSTREAM_FILES and /post in nginx.ts) */
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
}

const WRK_DEFAULT: WrkLoad = { tool: 'wrk', threads: 1, connections: 50 };

export const SCENARIOS: readonly Scenario[] = [
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
];

/** Where each part runs. The upstream and the load generator share CPU 0 so the proxy has CPU 1 to itself. */
export const PLACEMENT = { upstream: '0', load: '0', proxy: '1' } as const;
