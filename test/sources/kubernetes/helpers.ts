// Shared pieces for the Kubernetes source tests: a sink that records what it is told, log capture,
// object factories and a bounded poll.
import * as k8s from '@kubernetes/client-node';
import type { AnyKubeObject, Kind } from '../../../src/kube/types.ts';
import { objectKey } from '../../../src/kube/types.ts';
import type { Diagnostic } from '../../../src/kube/diagnostic.ts';
import type { ObjectSink, LogLevel, SourceLog, WatchTiming } from '../../../src/sources/kubernetes/index.ts';
import type { KubeApiServer, JsonObject } from '../../support/kube-api/index.ts';

export class RecordingSink implements ObjectSink {
  readonly objects = new Map<string, AnyKubeObject>();
  /** Upserts per object key: a replayed or duplicated event shows up here. */
  readonly upserts = new Map<string, number>();
  readonly removals: string[] = [];
  diagnostics: readonly Diagnostic[] = [];

  upsert(origin: string, object: AnyKubeObject): void {
    if (origin !== 'kubernetes') throw new Error(`unexpected origin ${origin}`);
    const key = objectKey(object.kind, object.metadata.namespace, object.metadata.name);
    this.objects.set(key, object);
    this.upserts.set(key, (this.upserts.get(key) ?? 0) + 1);
  }

  remove(origin: string, kind: Kind, namespace: string | undefined, name: string): void {
    if (origin !== 'kubernetes') throw new Error(`unexpected origin ${origin}`);
    const key = objectKey(kind, namespace, name);
    this.objects.delete(key);
    this.removals.push(key);
  }

  setOriginDiagnostics(origin: string, diagnostics: readonly Diagnostic[]): void {
    if (origin !== 'kubernetes') throw new Error(`unexpected origin ${origin}`);
    this.diagnostics = diagnostics;
  }

  keys(kind?: Kind): string[] {
    return [...this.objects.keys()].filter((k) => kind === undefined || k.startsWith(`${kind}/`)).sort();
  }

  get(key: string): AnyKubeObject | undefined {
    return this.objects.get(key);
  }
}

export interface LogRecord { level: LogLevel; msg: string; fields?: Record<string, unknown> }

export function captureLog(): { log: SourceLog; records: LogRecord[]; at(level: LogLevel): string[] } {
  const records: LogRecord[] = [];
  return {
    records,
    log: (level, msg, fields) => { records.push({ level, msg, fields }); },
    at: (level) => records.filter((r) => r.level === level).map((r) => r.msg),
  };
}

/** Short timings so outages, backoff and CRD retries play out in well under a second each. */
export const FAST_TIMING: Partial<WatchTiming> = {
  inactivityMs: 2000,
  requestTimeoutMs: 2000,
  backoff: { initialMs: 40, maxMs: 250 },
  missingCrdRetryMs: 200,
  pageSize: 2,
};

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function kubeConfigFor(server: KubeApiServer, token?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(server.kubeconfig({ token }));
  return kc;
}

export const make = {
  ingress: (namespace: string, name: string, host = `${name}.example.com`): JsonObject => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace },
    spec: { ingressClassName: 'tideway', rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  }),
  ingressClass: (name: string): JsonObject => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name }, spec: { controller: 'tideway.dev/ingress-controller' },
  }),
  service: (namespace: string, name: string, port = 80): JsonObject => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ name: 'http', port }] },
  }),
  endpointSlice: (namespace: string, name: string, service: string | undefined, address = '10.0.0.1'): JsonObject => ({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name, namespace, ...(service ? { labels: { 'kubernetes.io/service-name': service } } : {}) },
    addressType: 'IPv4', endpoints: [{ addresses: [address], conditions: { ready: true } }], ports: [{ name: 'http', port: 8080 }],
  }),
  secret: (namespace: string, name: string, type = 'kubernetes.io/tls', cert = 'Y2VydA=='): JsonObject => ({
    apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type, data: { 'tls.crt': cert, 'tls.key': 'a2V5' },
  }),
  middleware: (namespace: string, name: string): JsonObject => ({
    apiVersion: 'tideway.dev/v1alpha1', kind: 'Middleware', metadata: { name, namespace }, spec: { stripPrefix: { prefixes: ['/api'] } },
  }),
};
