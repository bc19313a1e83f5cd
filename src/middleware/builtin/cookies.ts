// Reading one cookie from the Cookie header(s) without building a map of all of them.
import type { HeaderMap } from '../types.ts';

/** The value of cookie `name`, or undefined. HTTP/2 clients may split cookies over several headers. */
export function cookieValue(headers: HeaderMap, name: string): string | undefined {
  const values = headers.getAll('cookie');
  for (const header of values) {
    let start = 0;
    while (start < header.length) {
      let end = header.indexOf(';', start);
      if (end < 0) end = header.length;
      const eq = header.indexOf('=', start);
      if (eq > start && eq < end && header.slice(start, eq).trim() === name) {
        let value = header.slice(eq + 1, end).trim();
        if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
        return value;
      }
      start = end + 1;
    }
  }
  return undefined;
}
