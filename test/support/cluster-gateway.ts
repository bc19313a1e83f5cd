// Starts a real gateway in this process in cluster mode: no --manifests, a --kubeconfig pointing at a
// KubeApiServer (the Kubernetes API test server), loopback ports picked by the OS. Objects are created
// through the test server's controls, as kubectl would through a real API server, and tests poll the
// data plane with real HTTP requests until a change is served.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSettings } from '../../src/settings/settings.ts';
import { Gateway } from '../../src/runtime/gateway.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import type { StatusTiming } from '../../src/status/index.ts';
import type { Logger } from 'pino';
import type { KubeApiServer, JsonObject } from './kube-api/index.ts';
import { request, type SimpleResponse } from './gateway.ts';

export interface ClusterGateway {
  gateway: Gateway;
  port: number;
  httpsPort: number | null;
  adminPort: number;
  kubeconfigPath: string;
  /** GET on the HTTP port with a Host header. */
  get(host: string, urlPath?: string): Promise<SimpleResponse>;
  /** Polls `check` (which may make requests) until it holds, at most `timeoutMs`. */
  until(what: string, check: () => Promise<boolean> | boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterGatewayOptions {
  /** Leader election and status timing (shortened for tests of the Lease). */
  statusTiming?: Partial<StatusTiming>;
  /** Where the gateway logs (default: nowhere). */
  logger?: Logger;
}

export async function startClusterGateway(api: KubeApiServer, flags: string[] = [], options: ClusterGatewayOptions = {}): Promise<ClusterGateway> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tideway-cluster-'));
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, api.kubeconfig());
  const settings = parseSettings([
    '--kubeconfig', kubeconfigPath, '--http-port', '0', '--admin-port', '0', '--bind-address', '127.0.0.1', '--admin-address', '127.0.0.1',
    '--workers', '1', '--log-level', 'silent', ...flags,
  ], {});
  const gateway = new Gateway({ settings, logger: options.logger ?? silentLogger(), ...(options.statusTiming ? { statusTiming: options.statusTiming } : {}) });
  const ports = await gateway.start();
  const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        if (await check()) return;
        last = undefined;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return {
    gateway,
    port: ports.http,
    httpsPort: ports.https,
    adminPort: ports.admin,
    kubeconfigPath,
    get: (host, urlPath = '/') => request(ports.http, { path: urlPath, headers: { host } }),
    until,
    close: async () => {
      await gateway.stop(0);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** startClusterGateway(), resolved once its first snapshot is served. */
export async function startServedClusterGateway(api: KubeApiServer, flags: string[] = []): Promise<ClusterGateway> {
  const gw = await startClusterGateway(api, flags);
  await gw.until('first snapshot served', () => gw.gateway.control.ready);
  return gw;
}

/** Kubernetes objects for cluster tests, as the API server stores them (JSON, not YAML). */
export const kube = {
  ingressClass: (name = 'tideway', isDefault = false, controller = 'tideway.dev/ingress-controller'): JsonObject => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass',
    metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
    spec: { controller },
  }),
  ingress: (namespace: string, name: string, host: string, paths: { path: string; service: string; port?: number }[], extra: { className?: string | null; tls?: { hosts: string[]; secretName: string }[] } = {}): JsonObject => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace },
    spec: {
      ...(extra.className === null ? {} : { ingressClassName: extra.className ?? 'tideway' }),
      ...(extra.tls ? { tls: extra.tls } : {}),
      rules: [{ host, http: { paths: paths.map((p) => ({ path: p.path, pathType: 'Prefix', backend: { service: { name: p.service, port: { number: p.port ?? 80 } } } })) } }],
    },
  }),
  service: (namespace: string, name: string, port = 80): JsonObject => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ name: 'http', port, protocol: 'TCP' }] },
  }),
  /**
   * An EndpointSlice with one port and ready endpoints at `addresses` (loopback addresses in tests: a
   * real API server refuses 127.0.0.0/8, the test server accepts it when started with
   * { acceptLoopbackEndpoints: true }, since test backends can only listen on loopback).
   */
  endpointSlice: (namespace: string, name: string, service: string, port: number, addresses: string[]): JsonObject => ({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: addresses.map((address) => ({ addresses: [address], conditions: { ready: true } })),
  }),
  tlsSecret: (namespace: string, name: string, certPem: string, keyPem: string): JsonObject => ({
    apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(certPem).toString('base64'), 'tls.key': Buffer.from(keyPem).toString('base64') },
  }),
};
