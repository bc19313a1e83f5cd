// The access log writes one JSON object per line through the asynchronous destination; lines are read
// back from a real file after close().
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AccessLog, AccessLogConfigError, parseSampleRate, type AccessLogOptions, type TracedRequestRecord } from '../../src/observability/index.ts';
import { record, route } from './records.ts';

let dir: string;
let files = 0;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tideway-access-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Logs the records and returns the parsed lines. */
async function logged(records: TracedRequestRecord[], options: Omit<AccessLogOptions, 'destination'> = {}): Promise<Record<string, unknown>[]> {
  const file = path.join(dir, `access-${files++}.log`);
  const log = new AccessLog({ ...options, destination: file });
  for (const r of records) log.onRequestEnd(r);
  await log.close();
  const text = await readFile(file, 'utf8');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), 'every line ends with a newline');
  return text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('access log lines', () => {
  test('one JSON line per request with every field, in a fixed order', async () => {
    const web = route('shop', 'web', 'web-svc');
    const [line] = await logged([record({
      startTime: Date.UTC(2025, 0, 31, 12, 34, 56, 7), durationMs: 42, route: web, upstreamAddress: '10.0.0.1:8080', upstreamDurationMs: 40,
      bytesIn: 12, bytesOut: 3456, status: 201, method: 'POST', requestId: 'abc123',
    })]);
    assert.deepEqual(line, {
      time: '2025-01-31T12:34:56.007Z',
      client: '192.0.2.10',
      method: 'POST',
      host: 'web.example.com',
      path: '/items/1?x=y',
      protocol: 'HTTP/1.1',
      status: 201,
      bytesIn: 12,
      bytesOut: 3456,
      durationMs: 42,
      upstream: '10.0.0.1:8080',
      upstreamMs: 40,
      route: 'shop/web',
      routeId: web.id,
      requestId: 'abc123',
      error: null,
    });
    assert.deepEqual(Object.keys(line!)[0], 'time');
  });

  test('a route with accessLog false (enable-access-log "false") writes no line', async () => {
    const quiet = route('shop', 'quiet', 'web-svc');
    const silenced = { ...quiet, options: { ...quiet.options, accessLog: false as const } };
    const lines = await logged([record({ route: silenced }), record({ route: quiet, requestId: 'kept' })]);
    assert.deepEqual(lines.map((l) => l.requestId), ['kept']);
  });

  test('a request without route or upstream logs nulls and its error', async () => {
    const [line] = await logged([record({ status: 404, error: 'no-route' })]);
    assert.equal(line!.route, null);
    assert.equal(line!.routeId, null);
    assert.equal(line!.upstream, null);
    assert.equal(line!.upstreamMs, null);
    assert.equal(line!.error, 'no-route');
  });

  test('traceId appears only when the record carries one', async () => {
    const lines = await logged([record({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }), record(), record({ traceId: null })]);
    assert.equal(lines[0]!.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.ok(!('traceId' in lines[1]!));
    assert.ok(!('traceId' in lines[2]!));
  });

  test('hostile request text stays inside its JSON string: quotes, newlines, control and non-ASCII characters', async () => {
    const nasty = '/a"b\\c\nd\r\u0000\u001f\u2028é😀\ud800';
    const lines = await logged([record({ path: nasty, host: 'evil"\n.example.com', method: 'GET\n{"status":200}' })]);
    assert.equal(lines.length, 1, 'a newline in the request never starts a new log line');
    assert.equal(lines[0]!.path, nasty, 'even a lone surrogate survives (escaped as \\ud800)');
    assert.equal(lines[0]!.host, 'evil"\n.example.com');
    assert.equal(lines[0]!.method, 'GET\n{"status":200}');
  });

  test('timestamps are correct across seconds and millisecond padding', async () => {
    const base = Date.UTC(2024, 1, 29, 23, 59, 59, 0);
    const lines = await logged([0, 5, 50, 999, 1000, 1001].map((ms) => record({ startTime: base + ms })));
    assert.deepEqual(lines.map((l) => l.time), [0, 5, 50, 999, 1000, 1001].map((ms) => new Date(base + ms).toISOString()));
  });

  test('many lines written in one turn all arrive, in order', async () => {
    const lines = await logged(Array.from({ length: 5000 }, (_, i) => record({ requestId: `r${i}` })));
    assert.equal(lines.length, 5000);
    assert.deepEqual(lines.map((l) => l.requestId), Array.from({ length: 5000 }, (_, i) => `r${i}`));
  });
});

describe('sampling', () => {
  test('a 0.25 rate logs requests whose draw is below it; 5xx answers are always logged', async () => {
    const draws = [0.1, 0.3, 0.24, 0.9, 0.5];
    let i = 0;
    const records = [record({ requestId: 'a' }), record({ requestId: 'b' }), record({ requestId: 'c' }), record({ requestId: 'd', status: 502 }), record({ requestId: 'e', status: 404 })];
    const lines = await logged(records, { sampleRate: 0.25, random: () => draws[i++]! });
    assert.deepEqual(lines.map((l) => l.requestId), ['a', 'c', 'd']);
  });

  test('rate 1 logs everything without drawing', async () => {
    const lines = await logged([record(), record()], { sampleRate: 1, random: () => assert.fail('no draw at rate 1') });
    assert.equal(lines.length, 2);
  });

  test('parseSampleRate accepts (0, 1] and names the problem otherwise', () => {
    assert.equal(parseSampleRate('0.1'), 0.1);
    assert.equal(parseSampleRate('1'), 1);
    for (const bad of ['0', '-0.5', '1.5', 'abc', '', ' ', 'NaN', 'Infinity', '10%']) {
      assert.throws(() => parseSampleRate(bad), (error: Error) => error instanceof AccessLogConfigError && error.message.includes(`"${bad}"`), bad);
    }
  });

  test('the constructor rejects a rate outside (0, 1]', () => {
    for (const rate of [0, 1.01, Number.NaN, -1]) assert.throws(() => new AccessLog({ sampleRate: rate, destination: path.join(dir, 'never.log') }), AccessLogConfigError);
  });
});
