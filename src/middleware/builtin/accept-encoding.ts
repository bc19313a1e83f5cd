// Choosing a content coding from Accept-Encoding (RFC 9110 12.5.3): the highest q-value wins, ties go
// to the server's preference, q=0 refuses a coding, "*" stands for codings not listed. A request
// without Accept-Encoding gets no compression (what browsers and nginx do, though the RFC allows any).
import type { Encoding } from '../config/compress.ts';

export function chooseEncoding(header: string | undefined, preference: readonly Encoding[]): Encoding | null {
  if (header === undefined || header === '') return null;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [token = '', ...params] = part.split(';');
    const name = token.trim().toLowerCase();
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key?.trim().toLowerCase() === 'q') {
        const n = Number(value?.trim());
        q = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 0;
      }
    }
    weights.set(name, q);
  }
  const wildcard = weights.get('*') ?? 0;
  let best: Encoding | null = null;
  let bestQ = 0;
  for (const encoding of preference) {
    const q = weights.get(encoding) ?? (encoding === 'gzip' ? weights.get('x-gzip') : undefined) ?? wildcard;
    if (q > bestQ) [best, bestQ] = [encoding, q];
  }
  return best;
}
