// Tideway under test: manifests that route everything to the upstream, and the gateway process.
import { middlewareManifests } from './middleware-scenarios.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import {
  CONTROLLER_NAME,
  DEFAULT_CLASS_ANNOTATION,
  DEFAULT_INGRESS_CLASS,
  SERVICE_NAME_LABEL,
} from '../src/kube/constants.ts';
import { API_VERSIONS, type EndpointSlice, type Ingress, type IngressClass, type Service } from '../src/kube/types.ts';
import { makeTempDir, spawnTracked, unlessExited, type Tracked } from './lifecycle.ts';
import { GRPC_PATH_PREFIX } from './scenarios.ts';
import { httpRequest, LOOPBACK, pollUntil } from './net.ts';
import { toolPath } from './tools.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const DEFAULT_ENTRY = join(REPO_ROOT, 'bin', 'tideway.js');

const NAMESPACE = 'bench';
const SERVICE = 'upstream';
const GRPC_SERVICE = 'grpc-upstream';

/**
 * IngressClass (default class), Service bench/upstream port 80 and its EndpointSlice, an Ingress for
 * Prefix "/"; and the gRPC side: Service bench/grpc-upstream (appProtocol grpc) for the gRPC method
 * prefix. The TLS port serves Tideway's self-signed default certificate (the load tools do not verify).
 */
export function benchManifests(upstreamPort: number, upstreamGrpcPort: number): string {
  const ingressClass: IngressClass = {
    apiVersion: API_VERSIONS.IngressClass,
    kind: 'IngressClass',
    metadata: { name: DEFAULT_INGRESS_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    spec: { controller: CONTROLLER_NAME },
  };
  const service: Service = {
    apiVersion: API_VERSIONS.Service,
    kind: 'Service',
    metadata: { name: SERVICE, namespace: NAMESPACE },
    spec: { ports: [{ name: 'http', port: 80, targetPort: upstreamPort, protocol: 'TCP' }] },
  };
  const slice: EndpointSlice = {
    apiVersion: API_VERSIONS.EndpointSlice,
    kind: 'EndpointSlice',
    metadata: { name: `${SERVICE}-1`, namespace: NAMESPACE, labels: { [SERVICE_NAME_LABEL]: SERVICE } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [LOOPBACK], conditions: { ready: true } }],
    ports: [{ name: 'http', port: upstreamPort, protocol: 'TCP' }],
  };
  const ingress: Ingress = {
    apiVersion: API_VERSIONS.Ingress,
    kind: 'Ingress',
    metadata: { name: SERVICE, namespace: NAMESPACE },
    spec: {
      ingressClassName: DEFAULT_INGRESS_CLASS,
      rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: SERVICE, port: { number: 80 } } } }] } }],
    },
  };
  const grpcService: Service = {
    apiVersion: API_VERSIONS.Service,
    kind: 'Service',
    metadata: { name: GRPC_SERVICE, namespace: NAMESPACE },
    spec: { ports: [{ name: 'grpc', port: 80, targetPort: upstreamGrpcPort, protocol: 'TCP', appProtocol: 'grpc' }] },
  };
  const grpcSlice: EndpointSlice = {
    apiVersion: API_VERSIONS.EndpointSlice,
    kind: 'EndpointSlice',
    metadata: { name: `${GRPC_SERVICE}-1`, namespace: NAMESPACE, labels: { [SERVICE_NAME_LABEL]: GRPC_SERVICE } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [LOOPBACK], conditions: { ready: true } }],
    ports: [{ name: 'grpc', port: upstreamGrpcPort, protocol: 'TCP', appProtocol: 'grpc' }],
  };
  const grpcIngress: Ingress = {
    apiVersion: API_VERSIONS.Ingress,
    kind: 'Ingress',
    metadata: { name: GRPC_SERVICE, namespace: NAMESPACE },
    spec: {
      ingressClassName: DEFAULT_INGRESS_CLASS,
      rules: [{ http: { paths: [{ path: GRPC_PATH_PREFIX, pathType: 'Prefix', backend: { service: { name: GRPC_SERVICE, port: { number: 80 } } } }] } }],
    },
  };
  const objects = [ingressClass, service, slice, ingress, grpcService, grpcSlice, grpcIngress].map((o) => stringify(o)).join('---\n');
  return `${objects}---\n${middlewareManifests(SERVICE, DEFAULT_INGRESS_CLASS)}`;
}

/** Optional flags that make the gateway quieter; passed only when its --help lists them. */
const QUIET_FLAGS: readonly (readonly [string, string])[] = [
  ['--access-log', 'off'],
  ['--log-level', 'warn'],
];

/** The quiet flags this build of the gateway knows, judged from its --help output. */
export function supportedQuietFlags(helpText: string): string[] {
  return QUIET_FLAGS.filter(([flag]) => new RegExp(`(^|\\s)${flag}(\\s|=|,|$)`, 'm').test(helpText)).flat();
}

function helpText(entry: string): string {
  const r = spawnSync(process.execPath, [entry, '--help'], { encoding: 'utf8', timeout: 15_000 });
  return `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
}

/** When the entry point runs compiled code (bin/tideway.js -> dist/), warn if src/ changed after the build. */
export function staleBuildWarning(entry: string): string | undefined {
  if (resolve(entry) !== DEFAULT_ENTRY) return undefined;
  const built = join(REPO_ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(built)) return `${built} is missing: run "npm run build" first`;
  const builtAt = statSync(built).mtimeMs;
  const newer = newestMtime(join(REPO_ROOT, 'src'));
  return newer > builtAt ? 'src/ has changes newer than dist/: the gateway under test may be an old build ("npm run build")' : undefined;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export interface TidewayOptions {
  entry: string;
  upstreamPort: number;
  upstreamGrpcPort: number;
  httpPort: number;
  httpsPort: number;
  adminPort: number;
  workers: number;
  cpus: string;
  /** flags appended last (they override the quiet flags) */
  extraArgs?: readonly string[];
}

export interface TidewayInstance {
  readonly port: number;
  readonly pid: number;
  readonly args: readonly string[];
  readonly process: Tracked;
  stop(): Promise<void>;
}

export async function startTideway(opts: TidewayOptions): Promise<TidewayInstance> {
  const dir = makeTempDir('tideway');
  writeFileSync(join(dir, 'bench.yaml'), benchManifests(opts.upstreamPort, opts.upstreamGrpcPort));
  const args = [
    opts.entry,
    '--manifests', dir,
    '--http-port', String(opts.httpPort),
    '--https-port', String(opts.httpsPort),
    '--admin-port', String(opts.adminPort),
    '--workers', String(opts.workers),
    ...supportedQuietFlags(helpText(opts.entry)),
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawnTracked('tideway', toolPath('taskset'), ['-c', opts.cpus, process.execPath, ...args]);
  await unlessExited(
    proc,
    pollUntil(`tideway /readyz on admin port ${opts.adminPort}`, 30_000, async () => {
      return (await httpRequest(opts.adminPort, 'GET', '/readyz')).status === 200;
    }),
  );
  return { port: opts.httpPort, pid: proc.pid, args, process: proc, stop: () => proc.stop() };
}
