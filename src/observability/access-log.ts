// The access log: one JSON line per finished request on stdout (application logs go to stderr),
// written through pino's asynchronous destination (SonicBoom, sync: false): a slow stdout (a busy log
// shipper) makes lines queue in memory instead of blocking requests, and lines produced while a write
// is in flight leave together in the next write.
//
// The line itself is one JSON.stringify of a flat object rather than logger.info(): with these 16
// fields that is about a third of pino's per-call cost (bench/observability.ts), and a log level or
// bindings would add nothing to an access line. The ISO timestamp prefix is cached per second, because
// Date#toISOString alone costs more than the rest of the line. Buffer content mode: in its default
// string mode SonicBoom measures the byte length of its whole tail buffer on every write.
import type { pino } from 'pino';
import { lazyModule } from '../lib/lazy-module.ts';
import type { RequestObserver, RequestRecord } from '../proxy/observer.ts';

/** A record from a proxy that also reports the trace id of the request's span (tracing on). */
/** Kept as a name for the records the access log reads; the trace id is part of RequestRecord. */
export type TracedRequestRecord = RequestRecord;

export class AccessLogConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessLogConfigError';
  }
}

export interface AccessLogOptions {
  /**
   * Fraction of requests logged, in (0, 1]; default 1. Answers with status 500 and above are always
   * logged, so sampling never hides failures.
   */
  sampleRate?: number;
  /** A file descriptor (default 1: stdout) or a file path. */
  destination?: number | string;
  /** Source of randomness for sampling, in [0, 1); tests replace it. */
  random?: () => number;
}

/** Parses a --access-log-sample value: a number in (0, 1]. */
export function parseSampleRate(text: string): number {
  const rate = Number(text);
  if (text.trim() === '' || !Number.isFinite(rate) || rate <= 0 || rate > 1) {
    throw new AccessLogConfigError(`"${text}" is not a sampling rate: use a number greater than 0 and at most 1 (0.1 logs one request in ten)`);
  }
  return rate;
}

/** Loaded when the first access log opens: workers of a gateway without one never load pino. */
const pinoModule = lazyModule<typeof import('pino')>('pino');

/** Past this much unwritten output (stdout stuck), new lines are dropped instead of growing memory. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

export class AccessLog implements RequestObserver {
  readonly enabled = true;
  private readonly clock = new IsoClock();
  private readonly stream: ReturnType<typeof pino.destination>;
  private readonly write: (chunk: Buffer) => boolean;
  private readonly sampleRate: number;
  private readonly random: () => number;

  constructor(options: AccessLogOptions = {}) {
    this.sampleRate = options.sampleRate ?? 1;
    if (!(this.sampleRate > 0 && this.sampleRate <= 1)) throw new AccessLogConfigError(`sample rate ${this.sampleRate} is outside (0, 1]`);
    this.random = options.random ?? Math.random;
    const destination = options.destination ?? 1;
    const common = { sync: false, maxLength: MAX_QUEUED_BYTES, contentMode: 'buffer' as const };
    this.stream = pinoModule().pino.destination(typeof destination === 'number' ? { ...common, fd: destination } : { ...common, dest: destination, mkdir: true });
    // sonic-boom's type declarations know only its string mode; in buffer mode write() takes Buffers.
    this.write = (this.stream.write as unknown as (chunk: Buffer) => boolean).bind(this.stream);
  }

  onRequestEnd(record: TracedRequestRecord): void {
    // Connections cut at the end of a drain report after the log closed: nothing left to write to.
    if (this.closed) return;
    if (this.sampleRate < 1 && record.status < 500 && this.random() >= this.sampleRate) return;
    const route = record.route;
    if (route !== null && route.options.accessLog === false) return;
    // Field order is fixed; "time" is when the request started.
    const line: Record<string, unknown> = {
      time: this.clock.format(record.startTime),
      client: record.clientAddress,
      method: record.method,
      host: record.host,
      path: record.path,
      protocol: record.protocol,
      status: record.status,
      bytesIn: record.bytesIn,
      bytesOut: record.bytesOut,
      durationMs: record.durationMs,
      upstream: record.upstreamAddress,
      upstreamMs: record.upstreamAddress === null ? null : record.upstreamDurationMs,
      route: route === null ? null : `${route.namespace}/${route.ingress}`,
      routeId: route === null ? null : route.id,
      requestId: record.requestId,
      error: record.error,
    };
    if (record.traceId != null) line.traceId = record.traceId;
    this.write(Buffer.from(`${JSON.stringify(line)}\n`));
  }

  /** Writes what is queued and waits for it (stdout and stderr stay open). */
  private closed = false;

  close(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => {
      this.stream.once('close', () => resolve());
      this.stream.end();
    });
  }
}

/** ISO 8601 UTC timestamps with milliseconds; the part up to the seconds is computed once per second. */
class IsoClock {
  private second = NaN;
  private prefix = '';

  format(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      this.second = second;
      this.prefix = new Date(second * 1000).toISOString().slice(0, 20); // "2025-01-31T12:34:56."
    }
    const milli = Math.floor(ms - second * 1000);
    return `${this.prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  }
}
