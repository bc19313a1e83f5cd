// gRPC on the proxy: recognising a call, its deadline, and the statuses Tideway answers itself. A
// gRPC client never gets an HTML or text error: failures are trailers-only responses (one HEADERS
// frame with :status 200, content-type application/grpc, grpc-status and grpc-message), as the
// gRPC over HTTP/2 protocol specifies.
import type { OutgoingHttpHeaders } from 'node:http2';

export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INTERNAL: 13,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** content-type application/grpc, application/grpc+proto, application/grpc-web... all start this way. */
export function isGrpcContentType(value: string | undefined): boolean {
  return value !== undefined && value.length >= 16 && value.slice(0, 16).toLowerCase() === 'application/grpc';
}

const TIMEOUT_UNITS_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** grpc-timeout ("100m", "5S": at most 8 digits and a unit) in milliseconds, or null when malformed. */
export function parseGrpcTimeout(value: string | undefined): number | null {
  if (value === undefined || value.length < 2 || value.length > 9) return null;
  const unit = TIMEOUT_UNITS_MS[value[value.length - 1]!];
  const digits = value.slice(0, -1);
  if (unit === undefined || !/^\d+$/.test(digits)) return null;
  return Math.max(1, Math.ceil(Number(digits) * unit));
}

/**
 * The gRPC status for an HTTP status Tideway would have answered, after gRPC's own HTTP-to-gRPC
 * mapping (doc/http-grpc-status-mapping.md), except that a timeout is DEADLINE_EXCEEDED and an oversized
 * message RESOURCE_EXHAUSTED: more useful to a caller than UNAVAILABLE.
 */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400: return GRPC_STATUS.INTERNAL;
    case 401: return GRPC_STATUS.UNAUTHENTICATED;
    case 403: return GRPC_STATUS.PERMISSION_DENIED;
    case 404: return GRPC_STATUS.UNIMPLEMENTED;
    case 413: return GRPC_STATUS.RESOURCE_EXHAUSTED;
    case 504: return GRPC_STATUS.DEADLINE_EXCEEDED;
    case 429: case 502: case 503: return GRPC_STATUS.UNAVAILABLE;
    default: return GRPC_STATUS.UNKNOWN;
  }
}

/** grpc-message is percent-encoded (gRPC over HTTP/2: "Percent-Encoded"). */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The single HEADERS frame of a trailers-only gRPC response. */
export function trailersOnly(code: number, message: string): OutgoingHttpHeaders {
  return { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) };
}

/** Trailers ending a gRPC response whose headers were already sent. */
export function grpcTrailers(code: number, message: string): OutgoingHttpHeaders {
  return { 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) };
}
