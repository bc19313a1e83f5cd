// Workers log through createLineLogger instead of pino: its lines must read exactly as the primary's
// pino lines do (same keys, same order, same level numbers), so log pipelines see one format.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createLineLogger } from '../../src/observability/line-logger.ts';

/** The lines pino writes, configured as createLogger configures it, with the time blanked. */
function pinoLines(level: string, log: (logger: pino.Logger) => void): string[] {
  const lines: string[] = [];
  const sink = { write: (line: string) => void lines.push(line) };
  const logger = pino({ level, base: { component: 'tideway' }, timestamp: pino.stdTimeFunctions.isoTime }, sink);
  log(logger);
  return lines.map(blankTime);
}

function lineLines(level: string, log: (logger: ReturnType<typeof createLineLogger>) => void): string[] {
  const lines: string[] = [];
  log(createLineLogger(level, (line) => lines.push(line)));
  return lines.map(blankTime);
}

const blankTime = (line: string): string => line.replace(/"time":"[^"]+"/, '"time":"T"');

describe('createLineLogger', () => {
  test('writes the lines pino writes, fields and message alike', () => {
    const calls = (logger: { info(f: object, m?: string): void; error(f: object, m?: string): void; warn(f: object, m?: string): void }) => {
      logger.info({ port: 8080, tls: false }, 'Gateway listener port bound');
      logger.error({ version: 3 }, 'certificate default/web: no key "tls.key" in Secret default/web-tls');
      logger.warn({}, 'only a "quoted" message\nover two lines');
      logger.info({ nested: { a: [1, 'b'] } });
    };
    const expected = pinoLines('info', calls);
    assert.equal(expected.length, 4);
    assert.deepEqual(lineLines('info', calls), expected);
  });

  test('drops lines below its level, as pino does', () => {
    const calls = (logger: { debug(f: object, m?: string): void; info(f: object, m?: string): void; warn(f: object, m?: string): void }) => {
      logger.debug({ pid: 1 }, 'worker listening');
      logger.info({}, 'routing snapshot served');
      logger.warn({}, 'slow');
    };
    for (const level of ['debug', 'info', 'warn', 'error', 'silent']) assert.deepEqual(lineLines(level, calls), pinoLines(level, calls), level);
  });

  test('an Error field reads as its type, message and stack', () => {
    const error = new TypeError('bad certificate');
    const [line] = lineLines('info', (logger) => logger.error({ err: error }, 'failed'));
    assert.deepEqual(JSON.parse(line!).err, { type: 'TypeError', message: 'bad certificate', stack: error.stack });
  });
});
