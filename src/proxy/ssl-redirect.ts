// Where a plain-HTTP request for a TLS host is redirected (308, RouteOptions.sslRedirect): the same
// host and path on the HTTPS port clients reach (docs/cli.md, public ports: 443 in a cluster), written
// unless it is 443 (ingress-nginx leaves it out).

/** The https:// URL for `authority` (Host or :authority; its port is dropped) and `path` (with query). */
export function httpsLocation(authority: string, path: string, httpsPort: number): string {
  const host = authority.startsWith('[') ? authority.slice(0, authority.indexOf(']') + 1) : authority.split(':')[0];
  return `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${path || '/'}`;
}
