// How a Regex path (ImplementationSpecific + tideway.dev/use-regex) becomes a RegExp. translate/
// uses it to reject invalid sources and routing/ to build the matcher, so both agree by construction.

/**
 * Anchored at the start of the path (ingress-nginx writes `location ~* ^...`) and case-insensitive
 * (`~*`). Not anchored at the end: "/api/v[0-9]+" also matches "/api/v2/users", as in nginx.
 * Throws SyntaxError for an invalid source.
 */
export function compilePathRegex(source: string): RegExp {
  // Compiling the source on its own first rejects unbalanced input such as "/a)|(.*", which the
  // wrapper below would otherwise turn into an unanchored alternative.
  new RegExp(source);
  return new RegExp(`^(?:${source})`, 'i');
}
