// Typed reading of a middleware's configuration, which arrives as plain JSON from a Middleware object,
// from annotations or from a plugin's user. Every problem throws MiddlewareConfigError naming the field
// ("redis.url", "users[2]"), so that translate() can turn it into a diagnostic and buildChain() into a
// log line. Unknown keys are errors too: in manifest files nothing else would catch a misspelt field.
import { parseDuration, UnitParseError } from '../../lib/units.ts';
import { MiddlewareConfigError } from '../types.ts';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface NumberLimits {
  min?: number;
  max?: number;
  integer?: boolean;
}

export class ConfigReader {
  private readonly obj: Record<string, unknown>;
  private readonly at: string;
  private readonly seen = new Set<string>();

  /** `at` is the path of this object inside the configuration ("" for the top level). */
  constructor(value: unknown, at = '') {
    if (!isPlainObject(value)) throw new MiddlewareConfigError(at || '(config)', `must be an object, got ${describe(value)}`);
    this.obj = value;
    this.at = at;
  }

  field(key: string): string {
    return this.at ? `${this.at}.${key}` : key;
  }

  fail(key: string, message: string): never {
    throw new MiddlewareConfigError(this.field(key), message);
  }

  has(key: string): boolean {
    const value = Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
    return value !== undefined && value !== null;
  }

  /** The raw value (undefined when absent or null); marks the key as known. */
  raw(key: string): unknown {
    this.seen.add(key);
    const value = Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
    return value === null ? undefined : value;
  }

  string(key: string, pattern?: { test: RegExp; hint: string }): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(key, `must be a string, got ${describe(value)}`);
    if (value.trim() === '') this.fail(key, 'must not be empty');
    if (pattern && !pattern.test.test(value)) this.fail(key, `${JSON.stringify(value)} is not ${pattern.hint}`);
    return value;
  }

  requiredString(key: string, pattern?: { test: RegExp; hint: string }): string {
    const value = this.string(key, pattern);
    if (value === undefined) this.fail(key, 'is required');
    return value;
  }

  number(key: string, limits: NumberLimits = {}): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(key, `must be a number, got ${describe(value)}`);
    if (limits.integer && !Number.isInteger(value)) this.fail(key, `must be a whole number, got ${value}`);
    if (limits.min !== undefined && value < limits.min) this.fail(key, `must be at least ${limits.min}, got ${value}`);
    if (limits.max !== undefined && value > limits.max) this.fail(key, `must be at most ${limits.max}, got ${value}`);
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') this.fail(key, `must be true or false, got ${describe(value)}`);
    return value;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      this.fail(key, `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`);
    }
    return value as T;
  }

  /** A list of non-empty strings (blank ones too with `blankItems`); `nonEmpty` also rejects an empty list. */
  stringList(key: string, nonEmpty = false, blankItems = false): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) this.fail(key, `must be a list of strings, got ${describe(value)}`);
    if (nonEmpty && value.length === 0) this.fail(key, 'must not be an empty list');
    value.forEach((item, i) => {
      if (typeof item !== 'string' || (!blankItems && item.trim() === '')) throw new MiddlewareConfigError(`${this.field(key)}[${i}]`, `must be a non-empty string, got ${describe(item)}`);
    });
    return value as string[];
  }

  /** A map of string values, such as header name -> value. */
  stringMap(key: string): Record<string, string> | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (!isPlainObject(value)) this.fail(key, `must be a map of strings, got ${describe(value)}`);
    for (const [name, v] of Object.entries(value)) {
      if (typeof v !== 'string') throw new MiddlewareConfigError(`${this.field(key)}.${name}`, `must be a string, got ${describe(v)}`);
    }
    return value as Record<string, string>;
  }

  /** A duration string ("500ms", "30s", "1m30s") in milliseconds. */
  duration(key: string, minMs = 0): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(key, `must be a duration string such as "5s", got ${describe(value)}`);
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (err) {
      if (err instanceof UnitParseError) this.fail(key, err.message);
      throw err;
    }
    if (ms < minMs) this.fail(key, `must be at least ${minMs}ms, got ${JSON.stringify(value)}`);
    return ms;
  }

  /** A nested object, read with its own reader; undefined when absent. */
  child(key: string): ConfigReader | undefined {
    const value = this.raw(key);
    return value === undefined ? undefined : new ConfigReader(value, this.field(key));
  }

  /** Throws for the first key that no read asked for. */
  finish(): void {
    for (const key of Object.keys(this.obj)) {
      if (!this.seen.has(key)) this.fail(key, 'unknown field');
    }
  }
}

export const HEADER_NAME = { test: /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, hint: 'a valid header name' };
