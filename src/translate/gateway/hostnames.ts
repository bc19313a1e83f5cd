// Listener and route hostnames (Gateway API, HTTPRoute spec.hostnames): which host names a route
// attached to a listener serves. A wildcard "*.example.com" covers every name below example.com.

function isWildcard(host: string): boolean {
  return host.startsWith('*.');
}

/** True when wildcard "*.suffix" covers name (a plain name or a narrower wildcard). */
function wildcardCovers(wildcard: string, name: string): boolean {
  const suffix = wildcard.slice(1); // ".example.com"
  return name.length > suffix.length && name.endsWith(suffix);
}

/**
 * The hosts a route serves on a listener: "" (any host) when neither names one, else the intersection
 * of the listener's hostname with the route's hostnames, keeping the more specific name of each pair.
 * An empty list means they share no name (NoMatchingListenerHostname).
 */
export function intersectHostnames(listener: string | null, route: readonly string[]): string[] {
  if (listener === null) return route.length === 0 ? [''] : [...route];
  if (route.length === 0) return [listener];
  const out: string[] = [];
  for (const host of route) {
    let served: string | null = null;
    if (host === listener) served = host;
    else if (isWildcard(listener) && wildcardCovers(listener, host)) served = host;
    else if (isWildcard(host) && wildcardCovers(host, listener)) served = listener;
    if (served !== null && !out.includes(served)) out.push(served);
  }
  return out;
}
