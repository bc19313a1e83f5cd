// The OpenTelemetry implementation of RequestTracer, loaded only when tracing is on (tracing.ts).
// The packages are imported by name at run time; the few shapes used are declared here so that the
// project type-checks whether or not they are installed. No global provider, context manager or
// propagator is registered: spans get their parent context explicitly, so nothing else in the process
// is affected.
import type { RequestRecord } from '../proxy/observer.ts';
import { formatTraceparent, parseTraceparent } from './traceparent.ts';
import { TracingUnavailableError, type ActiveSpan, type RequestTracer } from './tracing.ts';

interface OtelSpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
}

type Attributes = Record<string, string | number>;

interface OtelSpan {
  spanContext(): OtelSpanContext;
  setAttributes(attributes: Attributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  updateName(name: string): unknown;
  end(): void;
}

/** Opaque OpenTelemetry Context. */
interface OtelContext {
  getValue(key: symbol): unknown;
}

interface OtelTracer {
  startSpan(name: string, options: { kind: number; attributes?: Attributes }, context: OtelContext): OtelSpan;
}

interface ApiModule {
  ROOT_CONTEXT: OtelContext;
  SpanKind: { SERVER: number; CLIENT: number };
  SpanStatusCode: { ERROR: number };
  trace: {
    setSpanContext(context: OtelContext, spanContext: OtelSpanContext): OtelContext;
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
  };
}

interface SdkModule {
  TracerProvider: new (options: { resource: unknown; sampler: unknown; spanProcessors: unknown[] }) => {
    getTracer(name: string): OtelTracer;
    shutdown(): Promise<void>;
  };
  BatchSpanProcessor: new (options: { exporter: unknown; scheduledDelayMillis?: number }) => unknown;
  ParentBasedSampler: new (config: { root: unknown }) => unknown;
  TraceIdRatioBasedSampler: new (ratio: number) => unknown;
}

interface ExporterModule {
  OTLPTraceExporter: new (config: { url: string }) => unknown;
}

interface ResourcesModule {
  resourceFromAttributes(attributes: Attributes): unknown;
}

async function load<T>(name: string): Promise<T> {
  try {
    // A variable specifier keeps TypeScript from resolving a package that may not be installed.
    return (await import(name)) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new TracingUnavailableError(name);
    throw error;
  }
}

export interface OtelTracerConfig {
  /** Full OTLP/HTTP traces URL. */
  url: string;
  sampleRatio: number;
  serviceName: string;
  exportDelayMs: number | undefined;
}

export async function startOtelTracer(config: OtelTracerConfig): Promise<RequestTracer> {
  const api = await load<ApiModule>('@opentelemetry/api');
  const sdk = await load<SdkModule>('@opentelemetry/sdk-trace');
  const { OTLPTraceExporter } = await load<ExporterModule>('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = await load<ResourcesModule>('@opentelemetry/resources');
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    // A client's sampling decision is followed; new traces are sampled at the configured ratio.
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: config.url }), ...(config.exportDelayMs === undefined ? {} : { scheduledDelayMillis: config.exportDelayMs }) })],
  });
  return new OtelRequestTracer(api, provider.getTracer('tideway'), () => provider.shutdown());
}

class OtelRequestTracer implements RequestTracer {
  readonly api: ApiModule;
  readonly tracer: OtelTracer;
  readonly shutdown: () => Promise<void>;

  constructor(api: ApiModule, tracer: OtelTracer, shutdown: () => Promise<void>) {
    this.api = api;
    this.tracer = tracer;
    this.shutdown = shutdown;
  }

  start(method: string, host: string, path: string, traceparent: string | undefined): ActiveSpan {
    const parent = parseTraceparent(traceparent);
    const context = parent === null ? this.api.ROOT_CONTEXT : this.api.trace.setSpanContext(this.api.ROOT_CONTEXT, { ...parent, isRemote: true });
    const query = path.indexOf('?');
    const span = this.tracer.startSpan(method, {
      kind: this.api.SpanKind.SERVER,
      attributes: { 'http.request.method': method, 'server.address': host, 'url.path': query < 0 ? path : path.slice(0, query) },
    }, context);
    return new OtelActiveSpan(this, span, method);
  }
}

class OtelActiveSpan implements ActiveSpan {
  readonly traceId: string;
  traceparent: string;
  private readonly owner: OtelRequestTracer;
  private readonly server: OtelSpan;
  private readonly method: string;
  private upstream: OtelSpan | null = null;

  constructor(owner: OtelRequestTracer, server: OtelSpan, method: string) {
    this.owner = owner;
    this.server = server;
    this.method = method;
    const context = server.spanContext();
    this.traceId = context.traceId;
    this.traceparent = formatTraceparent(context);
  }

  upstreamStart(peer?: string): string {
    if (this.upstream !== null) this.finishUpstream(0, 'retried');
    const { api, tracer } = this.owner;
    this.upstream = tracer.startSpan(this.method, { kind: api.SpanKind.CLIENT, attributes: peer === undefined ? {} : peerAttributes(peer) }, api.trace.setSpan(api.ROOT_CONTEXT, this.server));
    this.traceparent = formatTraceparent(this.upstream.spanContext());
    return this.traceparent;
  }

  upstreamEnd(status: number): void {
    if (this.upstream !== null) this.finishUpstream(status, status === 0 ? 'no response' : undefined);
  }

  end(record: RequestRecord): void {
    if (this.upstream !== null) this.finishUpstream(0, record.error ?? 'unfinished');
    const span = this.server;
    const attributes: Attributes = {
      'http.response.status_code': record.status,
      'client.address': record.clientAddress,
      'network.protocol.version': record.protocol.replace('HTTP/', ''),
      'tideway.request_id': record.requestId,
    };
    if (record.route !== null) {
      attributes['tideway.route'] = record.route.id;
      attributes['tideway.ingress'] = `${record.route.namespace}/${record.route.ingress}`;
      // Semantic conventions: "{method} {route}", with the route as written, not the request path.
      span.updateName(`${record.method} ${record.route.path}`);
    }
    if (record.error !== null) attributes['error.type'] = record.error;
    span.setAttributes(attributes);
    if (record.status >= 500) span.setStatus({ code: this.owner.api.SpanStatusCode.ERROR, ...(record.error === null ? {} : { message: record.error }) });
    span.end();
  }

  private finishUpstream(status: number, failure: string | undefined): void {
    const span = this.upstream!;
    this.upstream = null;
    if (status > 0) span.setAttributes({ 'http.response.status_code': status });
    if (status === 0 || status >= 500) span.setStatus({ code: this.owner.api.SpanStatusCode.ERROR, ...(failure === undefined ? {} : { message: failure }) });
    span.end();
  }
}

/** "10.0.0.1:8080" or "[fd00::1]:8080" -> network.peer.address and network.peer.port. */
function peerAttributes(peer: string): Attributes {
  const colon = peer.lastIndexOf(':');
  if (colon <= 0) return { 'network.peer.address': peer };
  const address = peer.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(peer.slice(colon + 1));
  return Number.isInteger(port) ? { 'network.peer.address': address, 'network.peer.port': port } : { 'network.peer.address': peer };
}
