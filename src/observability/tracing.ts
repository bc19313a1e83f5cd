// Distributed tracing with OpenTelemetry, exported over OTLP/HTTP. Off by default, and then free: the
// proxy holds `tracer: RequestTracer | null` and skips everything when it is null. The OpenTelemetry
// packages are loaded (dynamic import) only when an endpoint is configured, so a gateway without
// tracing neither loads nor needs them.
import type { RequestRecord } from '../proxy/observer.ts';

/** One request's server span, and the client span of its upstream call. */
export interface ActiveSpan {
  /** 32 hex digits: the access log's traceId. */
  readonly traceId: string;
  /** The traceparent to send upstream: the upstream span's once upstreamStart() ran, else the server span's. */
  readonly traceparent: string;
  /**
   * Starts the child span of an upstream attempt (ending a previous unfinished one, after a retry) and
   * returns the traceparent header value to send with it. `peer` is the endpoint "ip:port".
   */
  upstreamStart(peer?: string): string;
  /** Ends the upstream span with the upstream's status (0: no response). */
  upstreamEnd(status: number): void;
  /** Ends the server span (and an upstream span still open) with the finished request's facts. */
  end(record: RequestRecord): void;
}

export interface RequestTracer {
  /**
   * Starts the server span of a request; `traceparent` is the client's header, if any. Null means no
   * span for this request: the proxy then forwards the client's traceparent untouched.
   */
  start(method: string, host: string, path: string, traceparent: string | undefined): ActiveSpan | null;
  /** Exports what is queued and stops exporting. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** OTLP/HTTP collector base URL ("http://collector:4318"); "/v1/traces" is appended unless present. */
  otlpEndpoint?: string;
  /** Fraction of new traces recorded, in [0, 1]; a client's sampled flag is followed. Default 1. */
  sampleRatio?: number;
  /** The service.name resource attribute. Default "tideway". */
  serviceName?: string;
  /** Batch export delay in ms (default 5000, the SDK's). */
  exportDelayMs?: number;
}

/** The packages tracing needs, with the versions it was written against. */
export const OTEL_PACKAGES = ['@opentelemetry/api', '@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/resources'] as const;

export class TracingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TracingConfigError';
  }
}

/** Tracing was asked for but the OpenTelemetry packages are not installed. */
export class TracingUnavailableError extends Error {
  readonly missing: string;
  constructor(missing: string) {
    super(`--otlp-endpoint needs the OpenTelemetry packages; "${missing}" is not installed (npm install ${OTEL_PACKAGES.join(' ')})`);
    this.name = 'TracingUnavailableError';
    this.missing = missing;
  }
}

/** The OTLP traces URL for an endpoint flag value. Throws TracingConfigError. */
export function tracesUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TracingConfigError(`--otlp-endpoint: "${endpoint}" is not a URL (expected e.g. http://otel-collector:4318)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TracingConfigError(`--otlp-endpoint: "${endpoint}" must be an http:// or https:// URL`);
  if (url.pathname.endsWith('/v1/traces')) return url.href;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.href;
}

/** Null (tracing off) without an endpoint; otherwise the OpenTelemetry tracer. */
export async function createTracer(options: TracingOptions): Promise<RequestTracer | null> {
  if (options.otlpEndpoint === undefined || options.otlpEndpoint === '') return null;
  const url = tracesUrl(options.otlpEndpoint);
  const ratio = options.sampleRatio ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) throw new TracingConfigError(`trace sample ratio ${ratio} is outside [0, 1]`);
  const { startOtelTracer } = await import('./otel-tracer.ts');
  return startOtelTracer({ url, sampleRatio: ratio, serviceName: options.serviceName ?? 'tideway', exportDelayMs: options.exportDelayMs });
}
