// Paths with dot-segments ("/public/../admin") are refused before routing. Matching the raw path would
// route the request by "/public" while a backend that resolves the dots serves "/admin", bypassing the
// middlewares (auth, IP lists) of the "/admin" route. Clients normalise dot-segments before sending
// (RFC 3986 5.2.4), so real traffic never has them; nginx answers 400 for ones that climb above root.
// Percent-encoded dots and slashes (%2e, %2f, %5c) and backslashes count too, since backends decode them.

function hexPairIs(path: string, i: number, hi: number, lo: number): boolean {
  return path.charCodeAt(i + 1) === hi && (path.charCodeAt(i + 2) | 0x20) === lo;
}

/** True when any segment of `path` (up to `end`) is "." or ".." after decoding dots and separators. */
export function hasDotSegment(path: string, end: number = path.length): boolean {
  let dots = 0;
  let others = 0;
  for (let i = 0; i <= end; i++) {
    let separator = i === end;
    let dot = false;
    if (!separator) {
      const c = path.charCodeAt(i);
      if (c === 0x2f || c === 0x5c) separator = true;
      else if (c === 0x2e) dot = true;
      else if (c === 0x25 && i + 2 < end) {
        if (hexPairIs(path, i, 0x32, 0x65)) dot = true; // %2e
        else if (hexPairIs(path, i, 0x32, 0x66) || hexPairIs(path, i, 0x35, 0x63)) separator = true; // %2f %5c
        if (dot || separator) i += 2;
      }
    }
    if (separator) {
      if (others === 0 && (dots === 1 || dots === 2)) return true;
      dots = 0;
      others = 0;
    } else if (dot) dots++;
    else others++;
  }
  return false;
}
