// Header names compare case-insensitively; these helpers do it without allocating a lower-case copy.

/** Case-insensitive (ASCII) equality of `a` with `lower`, which must already be lower-case. */
export function sameHeaderName(a: string, lower: string): boolean {
  if (a.length !== lower.length) return false;
  for (let i = 0; i < a.length; i++) {
    let c = a.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}
