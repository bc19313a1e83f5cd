// Parsers for the duration and size strings users write in annotations and settings ("30s", "500ms",
// "1m", "512k", "2g"). They accept what ingress-nginx users already write, and throw a typed error
// that names the input, so that callers can turn it into a diagnostic.

export type UnitKind = 'duration' | 'size';

export class UnitParseError extends Error {
  readonly input: string;
  readonly unit: UnitKind;
  constructor(unit: UnitKind, input: string, why: string) {
    super(`invalid ${unit} "${input}": ${why}`);
    this.name = 'UnitParseError';
    this.input = input;
    this.unit = unit;
  }
}

/** Node clamps timer delays above 2^31-1 ms to 1 ms, so a longer duration would fire at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_SHAPE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * Milliseconds from "500ms", "30s", "1m", "2h", a Go-style sum such as "1m30s", or bare integer
 * seconds ("60", as ingress-nginx accepts). Throws UnitParseError.
 */
export function parseDuration(text: string): number {
  if (typeof text !== 'string') throw new UnitParseError('duration', String(text), 'not a string');
  const value = text.trim();
  let ms: number;
  if (/^\d+$/.test(value)) {
    ms = Number(value) * 1000;
  } else if (DURATION_SHAPE.test(value)) {
    ms = 0;
    for (const [, amount, unit] of value.matchAll(DURATION_PART)) ms += Number(amount) * DURATION_UNITS_MS[unit!]!;
    ms = Math.round(ms);
  } else {
    throw new UnitParseError('duration', text, 'expected a number with unit ms, s, m or h (e.g. "30s", "500ms"), or whole seconds');
  }
  if (ms > MAX_DURATION_MS) throw new UnitParseError('duration', text, `longer than the maximum of ${MAX_DURATION_MS} ms`);
  return ms;
}

const SIZE_MULTIPLIERS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const SIZE_SHAPE = /^(\d+)([kmg]?)$/i;

/**
 * Bytes from "512k", "1m", "2g" (binary multiples, case-insensitive, as nginx reads them) or a bare
 * byte count. "0" is 0. Throws UnitParseError.
 */
export function parseSize(text: string): number {
  if (typeof text !== 'string') throw new UnitParseError('size', String(text), 'not a string');
  const match = SIZE_SHAPE.exec(text.trim());
  if (!match) throw new UnitParseError('size', text, 'expected a whole number of bytes, optionally followed by k, m or g (e.g. "512k", "1m")');
  const bytes = Number(match[1]) * SIZE_MULTIPLIERS[match[2]!.toLowerCase()]!;
  if (!Number.isSafeInteger(bytes)) throw new UnitParseError('size', text, 'too large');
  return bytes;
}
