// Tracing without the OpenTelemetry packages: W3C traceparent parsing and formatting, the off switch,
// endpoint validation, and the error a gateway gets when tracing is asked for but not installed.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  createTracer, formatTraceparent, parseTraceparent, tracesUrl, TracingConfigError, TracingUnavailableError, OTEL_PACKAGES,
} from '../../src/observability/index.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  test('parses a version 00 header (the W3C example)', () => {
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-01`), { traceId: TRACE, spanId: SPAN, traceFlags: 1 });
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-00`), { traceId: TRACE, spanId: SPAN, traceFlags: 0 });
    assert.deepEqual(parseTraceparent(`  00-${TRACE}-${SPAN}-03 `), { traceId: TRACE, spanId: SPAN, traceFlags: 3 }, 'surrounding whitespace is allowed (OWS)');
  });

  test('a future version is read by its version 00 fields, extra fields after "-" ignored', () => {
    assert.deepEqual(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-holds`), { traceId: TRACE, spanId: SPAN, traceFlags: 1 });
    assert.deepEqual(parseTraceparent(`01-${TRACE}-${SPAN}-01`), { traceId: TRACE, spanId: SPAN, traceFlags: 1 });
  });

  const invalid: [string, string | undefined][] = [
    ['absent', undefined],
    ['empty', ''],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with extra data', `00-${TRACE}-${SPAN}-01-extra`],
    ['future version with extra data not after "-"', `cc-${TRACE}-${SPAN}-01x`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['short parent id', `00-${TRACE}-${SPAN.slice(1)}-01`],
    ['one-digit flags', `00-${TRACE}-${SPAN}-1`],
    ['wrong separators', `00_${TRACE}_${SPAN}_01`],
    ['non-hex characters', `00-${TRACE.slice(0, 31)}g-${SPAN}-01`],
    ['non-hex version', `0x-${TRACE}-${SPAN}-01`],
    ['non-hex flags', `00-${TRACE}-${SPAN}-zz`],
  ];
  for (const [name, header] of invalid) {
    test(`rejects ${name}`, () => assert.equal(parseTraceparent(header), null));
  }

  test('formats version 00 with two-digit flags, and round-trips', () => {
    assert.equal(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 1 }), `00-${TRACE}-${SPAN}-01`);
    assert.equal(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 0 }), `00-${TRACE}-${SPAN}-00`);
    assert.equal(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 0x1ff }), `00-${TRACE}-${SPAN}-ff`, 'flags are one byte');
    const header = `00-${TRACE}-${SPAN}-a1`;
    assert.equal(formatTraceparent(parseTraceparent(header)!), header);
  });
});

describe('tracer setup', () => {
  test('without an endpoint tracing is off: null, and nothing is loaded', async () => {
    assert.equal(await createTracer({}), null);
    assert.equal(await createTracer({ otlpEndpoint: '' }), null);
  });

  test('the endpoint becomes the OTLP/HTTP traces URL', () => {
    assert.equal(tracesUrl('http://collector:4318'), 'http://collector:4318/v1/traces');
    assert.equal(tracesUrl('http://collector:4318/'), 'http://collector:4318/v1/traces');
    assert.equal(tracesUrl('https://otel.example.com/prefix/'), 'https://otel.example.com/prefix/v1/traces');
    assert.equal(tracesUrl('http://collector:4318/v1/traces'), 'http://collector:4318/v1/traces');
  });

  test('a bad endpoint or ratio is a TracingConfigError that names the flag', async () => {
    for (const endpoint of ['collector:4318x', 'not a url', 'ftp://collector/']) {
      await assert.rejects(createTracer({ otlpEndpoint: endpoint }), (error: Error) => error instanceof TracingConfigError && error.message.includes('--otlp-endpoint'), endpoint);
    }
    for (const sampleRatio of [-0.1, 1.5, Number.NaN]) {
      await assert.rejects(createTracer({ otlpEndpoint: 'http://127.0.0.1:4318', sampleRatio }), TracingConfigError);
    }
  });

  test('an endpoint without the OpenTelemetry packages installed fails with the packages to install', async (t) => {
    const installed = OTEL_PACKAGES.every((name) => {
      try {
        import.meta.resolve(name);
        return true;
      } catch {
        return false;
      }
    });
    if (installed) {
      const tracer = await createTracer({ otlpEndpoint: 'http://127.0.0.1:9' });
      assert.ok(tracer !== null);
      await tracer.shutdown();
      t.diagnostic('OpenTelemetry is installed: the tracer was created instead');
      return;
    }
    await assert.rejects(createTracer({ otlpEndpoint: 'http://127.0.0.1:4318' }), (error: Error) => {
      assert.ok(error instanceof TracingUnavailableError);
      assert.match(error.message, /--otlp-endpoint needs the OpenTelemetry packages/);
      for (const name of OTEL_PACKAGES) assert.ok(error.message.includes(name), `install hint names ${name}`);
      return true;
    });
  });
});
