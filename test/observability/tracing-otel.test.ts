// Tracing with the OpenTelemetry SDK, exported over OTLP/HTTP (JSON) to a collector stand-in on
// loopback. Runs only where the OpenTelemetry packages are installed (they are optional: see
// OTEL_PACKAGES); elsewhere the whole suite is skipped and says why.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { createTracer, OTEL_PACKAGES, type RequestTracer } from '../../src/observability/index.ts';
import { record, route } from './records.ts';

const missing = OTEL_PACKAGES.filter((name) => {
  try {
    import.meta.resolve(name);
    return false;
  } catch {
    return true;
  }
});

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
  status?: { code?: number };
}

/** OTLP/JSON carries ids as hex; accept base64 too, in case an exporter sends protobuf-style JSON. */
function hex(id: string | undefined): string {
  if (id === undefined || id === '') return '';
  return /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex');
}

function attribute(span: ExportedSpan, key: string): string | number | undefined {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
}

describe('OpenTelemetry tracing', { skip: missing.length > 0 && `not installed: ${missing.join(', ')}` }, () => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const PARENT = '00f067aa0ba902b7';
  let collector: http.Server;
  let endpoint: string;
  const spans: ExportedSpan[] = [];
  const resources: unknown[] = [];

  before(async () => {
    collector = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        assert.equal(req.url, '/v1/traces');
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { resourceSpans: { resource: unknown; scopeSpans: { spans: ExportedSpan[] }[] }[] };
        for (const rs of body.resourceSpans) {
          resources.push(rs.resource);
          for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ ...span, traceId: hex(span.traceId), spanId: hex(span.spanId), parentSpanId: hex(span.parentSpanId) });
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', () => resolve()));
    endpoint = `http://127.0.0.1:${(collector.address() as net.AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => collector.close(resolve));
  });

  async function traced(sampleRatio: number, run: (tracer: RequestTracer) => void): Promise<void> {
    const tracer = await createTracer({ otlpEndpoint: endpoint, sampleRatio, exportDelayMs: 20 });
    assert.ok(tracer !== null);
    run(tracer);
    await tracer.shutdown(); // exports what is queued
  }

  test('a request continues the client trace: server span, upstream client span, traceparent sent upstream', async () => {
    spans.length = 0;
    const web = route('shop', 'web', 'web-svc', '/cart');
    let serverTraceparent = '';
    let upstreamTraceparent = '';
    await traced(1, (tracer) => {
      const span = tracer.start('GET', 'shop.example.com', '/cart/1?token=secret', `00-${TRACE}-${PARENT}-01`)!;
      assert.equal(span.traceId, TRACE);
      serverTraceparent = span.traceparent;
      upstreamTraceparent = span.upstreamStart('10.0.0.1:8080');
      assert.equal(span.traceparent, upstreamTraceparent);
      span.upstreamEnd(200);
      span.end(record({ route: web, status: 200, method: 'GET', requestId: 'req-9', upstreamAddress: '10.0.0.1:8080' }));
    });
    assert.match(serverTraceparent, new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    assert.match(upstreamTraceparent, new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    const server = spans.find((s) => s.kind === 2)!;
    const client = spans.find((s) => s.kind === 3)!;
    assert.ok(server && client, `exported: ${JSON.stringify(spans)}`);
    assert.equal(server.traceId, TRACE);
    assert.equal(server.parentSpanId, PARENT);
    assert.equal(server.spanId, serverTraceparent.split('-')[2]);
    assert.equal(server.name, 'GET /cart');
    assert.equal(attribute(server, 'http.request.method'), 'GET');
    assert.equal(attribute(server, 'url.path'), '/cart/1', 'the query string (tokens) is not recorded');
    assert.equal(attribute(server, 'http.response.status_code'), 200);
    assert.equal(attribute(server, 'tideway.route'), web.id);
    assert.equal(attribute(server, 'tideway.request_id'), 'req-9');
    assert.equal(client.parentSpanId, server.spanId);
    assert.equal(client.spanId, upstreamTraceparent.split('-')[2]);
    assert.equal(attribute(client, 'network.peer.address'), '10.0.0.1');
    assert.equal(attribute(client, 'network.peer.port'), 8080);
    assert.ok(JSON.stringify(resources).includes('tideway'), 'service.name is tideway');
  });

  test('without a client traceparent a new trace starts; a 5xx marks the span as an error', async () => {
    spans.length = 0;
    await traced(1, (tracer) => {
      const span = tracer.start('POST', 'shop.example.com', '/pay', undefined)!;
      assert.match(span.traceId, /^[0-9a-f]{32}$/);
      assert.notEqual(span.traceId, TRACE);
      span.upstreamStart('10.0.0.2:80');
      span.end(record({ status: 502, error: 'upstream-reset', method: 'POST' }));
    });
    const server = spans.find((s) => s.kind === 2)!;
    assert.equal(server.parentSpanId, '');
    assert.equal(server.status?.code, 2, 'STATUS_CODE_ERROR');
    assert.equal(attribute(server, 'error.type'), 'upstream-reset');
    assert.equal(spans.find((s) => s.kind === 3)!.status?.code, 2, 'an upstream span still open at the end is ended as failed');
  });

  test('ratio 0 records no new trace but still propagates; a sampled client trace is followed', async () => {
    spans.length = 0;
    let unsampled = '';
    await traced(0, (tracer) => {
      const span = tracer.start('GET', 'a.example.com', '/', undefined)!;
      unsampled = span.upstreamStart('10.0.0.3:80');
      span.end(record());
      tracer.start('GET', 'a.example.com', '/', `00-${TRACE}-${PARENT}-01`)!.end(record());
    });
    assert.match(unsampled, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/, 'not sampled, still a valid traceparent');
    assert.deepEqual(spans.map((s) => s.traceId), [TRACE], 'only the client-sampled request was exported');
  });
});
