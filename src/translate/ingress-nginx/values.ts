// Shapes of the nginx annotation values that map onto middlewares other than access control
// (redirects, CORS, the affinity cookie). Tideway refuses a bad tideway.dev/ value of those by making
// the Ingress's routes answer 500; ingress-nginx ignores a bad value and applies its default. These
// checks run before the value is passed on, so that a bad nginx value is an error diagnostic and the
// default applies, as in ingress-nginx.
import { REDIRECT_STATUSES } from '../../middleware/config/redirect.ts';
import { HEADER_NAME } from '../../middleware/config/read.ts';

export interface ValueShape {
  /** The value to pass on (some are normalized), or null when it does not fit. */
  accept(value: string): string | null;
  /** What was expected, for the diagnostic. */
  expected: string;
}

const matching = (pattern: RegExp, expected: string): ValueShape => ({ accept: (value) => (pattern.test(value) ? value : null), expected });
const tokenList = (expected: string): ValueShape => ({
  accept: (value) => (value.split(',').every((item) => HEADER_NAME.test.test(item.trim())) ? value : null),
  expected,
});

const WHOLE = matching(/^\d+$/, 'a whole number');
const BOOLEAN: ValueShape = { accept: (value) => (/^(true|false)$/i.test(value) ? value.toLowerCase() : null), expected: '"true" or "false"' };
const REDIRECT_CODE: ValueShape = { accept: (value) => (REDIRECT_STATUSES.some((code) => String(code) === value) ? value : null), expected: `one of ${REDIRECT_STATUSES.join(', ')}` };
const REDIRECT_URL = matching(/^(https?:\/\/[^\s]+|\/[^\s]*)$/, 'an http(s) URL or an absolute path');
const SAME_SITE: ValueShape = {
  accept: (value) => {
    const lower = value.toLowerCase();
    return lower === 'strict' || lower === 'lax' || lower === 'none' ? lower[0]!.toUpperCase() + lower.slice(1) : null;
  },
  expected: '"Strict", "Lax" or "None"',
};

/** nginx annotation name -> the shape its value must have to be passed on. */
export const VALUE_SHAPES: Readonly<Record<string, ValueShape>> = {
  'permanent-redirect': REDIRECT_URL,
  'temporal-redirect': REDIRECT_URL,
  'permanent-redirect-code': REDIRECT_CODE,
  'temporal-redirect-code': REDIRECT_CODE,
  'app-root': matching(/^\/[^\s?#]+$/, 'an absolute path other than "/"'),
  'cors-allow-methods': tokenList('comma-separated HTTP methods'),
  'cors-allow-headers': tokenList('comma-separated header names'),
  'cors-expose-headers': tokenList('comma-separated header names'),
  'cors-allow-credentials': BOOLEAN,
  'cors-max-age': WHOLE,
  'session-cookie-name': matching(HEADER_NAME.test, 'a cookie name'),
  'session-cookie-path': matching(/^\/[^\s;,]*$/, 'an absolute path without ";" or ","'),
  'session-cookie-domain': matching(/^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/, 'a domain'),
  'session-cookie-max-age': WHOLE,
  'session-cookie-secure': BOOLEAN,
  'session-cookie-samesite': SAME_SITE,
};

// ingress-nginx's cors-allow-origin: scheme, host (or "*." and a domain) and an optional port.
const ORIGIN = /^https?:\/\/(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$/;

/** cors-allow-origin: the valid origins of the list and the invalid ones, which ingress-nginx drops. */
export function splitOrigins(value: string): { valid: string[]; invalid: string[] } {
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 1 && items[0] === '*') return { valid: items, invalid: [] };
  return { valid: items.filter((item) => ORIGIN.test(item)), invalid: items.filter((item) => !ORIGIN.test(item)) };
}
