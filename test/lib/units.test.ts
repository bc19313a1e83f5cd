import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_DURATION_MS, parseDuration, parseSize, UnitParseError } from '../../src/lib/units.ts';

describe('parseDuration', () => {
  const good: [string, number][] = [
    ['500ms', 500],
    ['30s', 30_000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
    ['0s', 0],
    ['60', 60_000],
    [' 5s ', 5_000],
    ['0', 0],
  ];
  for (const [text, ms] of good) it(`${JSON.stringify(text)} -> ${ms} ms`, () => assert.equal(parseDuration(text), ms));

  const bad = ['', 's', '-5s', '5 s', '5S', '5sec', '1d', '1.5', 'abc', '5s5', '597h'];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseDuration(text), (err: unknown) => {
        assert.ok(err instanceof UnitParseError);
        assert.equal(err.unit, 'duration');
        assert.equal(err.input, text);
        assert.match(err.message, new RegExp(`invalid duration "${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
        return true;
      });
    });
  }

  it('rejects durations longer than a Node timer can wait', () => {
    assert.equal(parseDuration(`${MAX_DURATION_MS}ms`), MAX_DURATION_MS);
    assert.throws(() => parseDuration(`${MAX_DURATION_MS + 1}ms`), /longer than the maximum/);
  });

  it('rejects a non-string without throwing something else', () => {
    assert.throws(() => parseDuration(5 as unknown as string), UnitParseError);
  });
});

describe('parseSize', () => {
  const good: [string, number][] = [
    ['0', 0],
    ['1024', 1024],
    ['512k', 512 * 1024],
    ['512K', 512 * 1024],
    ['1m', 1024 ** 2],
    ['8M', 8 * 1024 ** 2],
    ['2g', 2 * 1024 ** 3],
    [' 1m ', 1024 ** 2],
  ];
  for (const [text, bytes] of good) it(`${JSON.stringify(text)} -> ${bytes} bytes`, () => assert.equal(parseSize(text), bytes));

  for (const text of ['', 'm', '1.5m', '-1', '1mb', '1 m', '1t', 'ten', '99999999999999999999']) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseSize(text), (err: unknown) => err instanceof UnitParseError && err.unit === 'size' && err.input === text);
    });
  }
});
