// The nginx variables that ingress-nginx users write into URLs (mirror-target, auth-url, auth-signin,
// as in the oauth2-proxy example "https://$host/oauth2/start?rd=$escaped_request_uri"), replaced per
// request with what nginx puts there.
import type { RequestView } from '../types.ts';

type Source = Pick<RequestView, 'path' | 'authority' | 'scheme'>;

const VARIABLES = /\$(escaped_request_uri|request_uri|uri|args|host|scheme)\b/g;
export const NGINX_VARIABLE_NAMES = '$request_uri, $escaped_request_uri, $uri, $args, $host, $scheme';

/** A request to expand templates with when checking that they make a URL. */
export const SAMPLE_REQUEST: Source = { path: '/p?q', authority: 'h.example', scheme: 'http' };

/** nginx's $host: the Host without its port, lower-cased. */
function hostOf(authority: string): string {
  const end = authority.startsWith('[') ? authority.indexOf(']') + 1 : authority.lastIndexOf(':');
  return (end > 0 ? authority.slice(0, end) : authority).toLowerCase();
}

/** set_escape_uri, which ingress-nginx uses for $escaped_request_uri: all but unreserved characters escaped. */
function escapeComponent(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The value of one variable ("host" for $host) for this request. */
export function nginxVariable(name: string, req: Source): string {
  const query = req.path.indexOf('?');
  switch (name) {
    case 'request_uri': return req.path;
    case 'escaped_request_uri': return escapeComponent(req.path);
    case 'uri': return query < 0 ? req.path : req.path.slice(0, query);
    case 'args': return query < 0 ? '' : req.path.slice(query + 1);
    case 'host': return hostOf(req.authority);
    default: return req.scheme;
  }
}

export function hasNginxVariables(template: string): boolean {
  return template.search(VARIABLES) >= 0;
}

export function expandNginxVariables(template: string, req: Source): string {
  return template.replace(VARIABLES, (_match, name: string) => nginxVariable(name, req));
}

/** The first "$name" of the template that is not one of the variables above, or null. */
export function unknownNginxVariable(template: string): string | null {
  return template.replace(VARIABLES, '').match(/\$[A-Za-z_]+/)?.[0] ?? null;
}
