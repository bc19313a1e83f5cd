// Adding a token to the Vary response header without duplicating it.
import type { HeaderMap } from '../types.ts';

export function addVary(headers: HeaderMap, token: string): void {
  const current = headers.get('vary');
  if (current === undefined || current.trim() === '') {
    headers.set('vary', token);
    return;
  }
  const lower = token.toLowerCase();
  for (const part of current.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === lower || name === '*') return;
  }
  headers.set('vary', `${current}, ${token}`);
}
