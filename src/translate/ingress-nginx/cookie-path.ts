// ingress-nginx's affinity cookie without session-cookie-path carries the path of the location that
// set it (its lua balancer uses ngx.var.location_path), so that two Ingresses of one host, each with
// affinity on its own path, keep separate cookies of the same name. Regex paths are no cookie path:
// there the cookie keeps "/" (ingress-nginx documents session-cookie-path as required with regexes).
import type { MiddlewareSpec, PathKind } from '../../routing/spec.ts';

// What the affinity middleware accepts as a cookie Path (config/affinity.ts).
const COOKIE_PATH = /^\/[^\s;,]*$/;

/** The middlewares of one path of the Ingress, with the affinity cookie's Path set to that path. */
export function withLocationCookiePath(middlewares: MiddlewareSpec[], kind: PathKind, path: string): MiddlewareSpec[] {
  if (kind === 'Regex' || path === '' || path === '/' || !COOKIE_PATH.test(path)) return middlewares;
  const at = middlewares.findIndex((m) => m.type === 'affinity' && m.source === 'annotations');
  if (at < 0) return middlewares;
  const copy = [...middlewares];
  copy[at] = { ...middlewares[at]!, config: { ...middlewares[at]!.config, path } };
  return copy;
}
