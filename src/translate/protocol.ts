// The upstream protocol of a backend: the Service port's appProtocol, unless the Ingress's
// tideway.dev/backend-protocol annotation overrides it.
import type { BackendProtocol } from '../routing/spec.ts';

const APP_PROTOCOLS: Record<string, BackendProtocol> = {
  'kubernetes.io/h2c': 'h2c',
  grpc: 'grpc',
  https: 'https',
  // WebSocket is an upgrade of HTTP/1.1: plain or TLS.
  'kubernetes.io/ws': 'http',
  'kubernetes.io/wss': 'https',
};

/** http for an absent or unknown appProtocol (the Kubernetes default is plain HTTP/1.1). */
export function protocolFromAppProtocol(appProtocol: unknown): BackendProtocol {
  return (typeof appProtocol === 'string' && APP_PROTOCOLS[appProtocol.toLowerCase()]) || 'http';
}

const ANNOTATION_VALUES: readonly BackendProtocol[] = ['http', 'https', 'h2c', 'grpc', 'grpcs'];

/** The annotation value (HTTP, HTTPS, H2C, GRPC, GRPCS, any case), or null when it is none of them. */
export function parseBackendProtocol(value: string): BackendProtocol | null {
  const lower = value.trim().toLowerCase();
  return ANNOTATION_VALUES.find((p) => p === lower) ?? null;
}
