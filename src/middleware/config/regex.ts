// User-written regular expressions in middleware configuration (rewrite, redirect, canary).
import { MiddlewareConfigError } from '../types.ts';
import type { ConfigReader } from './read.ts';

export function compileUserRegex(r: ConfigReader, key: string, source: string, flags = ''): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new MiddlewareConfigError(r.field(key), `invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
}
