// Request records as the proxy hands them to observers, for observer unit tests.
import type { TracedRequestRecord } from '../../src/observability/index.ts';
import type { RouteSpec } from '../../src/routing/spec.ts';
import { routeSpec } from '../routing/spec-builders.ts';

/** A route of Ingress namespace/ingress whose backend is Service `service` port 80 (null: unresolved). */
export function route(namespace: string, ingress: string, service: string | null, path = '/'): RouteSpec {
  return {
    ...routeSpec(`${ingress}.example.com`, 'Prefix', path, service === null ? null : `${namespace}/${service}:80`),
    id: `${namespace}/${ingress}#0.${path.length}`,
    namespace,
    ingress,
  };
}

export function record(overrides: Partial<TracedRequestRecord> = {}): TracedRequestRecord {
  return {
    startTime: 1_700_000_000_000,
    durationMs: 20,
    clientAddress: '192.0.2.10',
    method: 'GET',
    host: 'web.example.com',
    path: '/items/1?x=y',
    protocol: 'HTTP/1.1',
    status: 200,
    bytesIn: 0,
    bytesOut: 100,
    route: null,
    upstreamAddress: null,
    upstreamDurationMs: 0,
    requestId: 'req-1',
    error: null,
    ...overrides,
  };
}
