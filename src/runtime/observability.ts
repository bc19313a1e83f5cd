// The observability of one serving process, built from settings: metrics (always: they are cheap),
// the access log (unless --access-log off), tracing (only with --otlp-endpoint; the OpenTelemetry
// packages are loaded only then). The proxy sees one combined RequestObserver and one tracer or null.
import type { Settings } from '../settings/settings.ts';
import type { RequestObserver } from '../proxy/observer.ts';
import { AccessLog, GatewayMetrics, combineObservers, createTracer, type RequestTracer } from '../observability/index.ts';

export interface ProcessObservability {
  readonly metrics: GatewayMetrics;
  readonly observer: RequestObserver;
  tracer: RequestTracer | null;
  /** Loads the tracer when tracing is configured (async: dynamic import of OpenTelemetry). */
  startTracing(): Promise<void>;
  close(): Promise<void>;
}

/** `controlPlane`: whether this process runs a control plane (its event loop delay is measured). */
export function createObservability(settings: Settings, extra?: RequestObserver, processMetrics = true, controlPlane = true): ProcessObservability {
  const metrics = new GatewayMetrics({ processMetrics, eventLoopDelay: controlPlane });
  const accessLog = settings.accessLog ? new AccessLog({ sampleRate: settings.accessLogSample }) : null;
  const result: ProcessObservability = {
    metrics,
    observer: combineObservers(metrics, accessLog, extra),
    tracer: null,
    async startTracing() {
      if (settings.otlpEndpoint === undefined) return;
      result.tracer = await createTracer({ otlpEndpoint: settings.otlpEndpoint, sampleRatio: settings.traceSample });
    },
    async close() {
      await result.tracer?.shutdown();
      await accessLog?.close();
    },
  };
  return result;
}
