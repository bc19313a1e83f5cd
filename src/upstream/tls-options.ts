// How Tideway connects to backends over TLS (backend protocol https or grpcs). As ingress-nginx does by
// default (proxy_ssl_verify off), the backend's certificate is not verified: pods are addressed by IP
// and usually serve certificates no public CA signed. ALPN says which protocol we speak.
import type tls from 'node:tls';
import type { BackendProtocol } from '../routing/spec.ts';

export function upstreamTlsOptions(protocol: BackendProtocol): tls.ConnectionOptions | null {
  switch (protocol) {
    case 'https':
      return { rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] };
    case 'grpcs':
      return { rejectUnauthorized: false, ALPNProtocols: ['h2'] };
    default:
      return null;
  }
}

/** Backend protocols spoken over HTTP/2 upstream. */
export function isHttp2Protocol(protocol: BackendProtocol): boolean {
  return protocol === 'h2c' || protocol === 'grpc' || protocol === 'grpcs';
}
