// Ingress host names: validation as the API server does it (DNS-1123 subdomain, a wildcard only as
// the whole first label, no IP addresses), and wildcard coverage for TLS.
import { isIPv4Sloppy, isIPv6 } from './ip.ts';

const LABEL = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const DNS_SUBDOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const MAX_HOST_LENGTH = 253;
const WILDCARD_PREFIX = '*.';

export type HostCheck = { ok: true; host: string } | { ok: false; message: string };

/** Lower-cases and validates a rule or TLS host ("" is not passed here: it means "no host"). */
export function checkHost(raw: string): HostCheck {
  const host = raw.toLowerCase();
  if (isIPv4Sloppy(host) || isIPv6(host)) return { ok: false, message: `invalid host "${raw}": must be a DNS name, not an IP address` };
  if (host.length > MAX_HOST_LENGTH) return { ok: false, message: `invalid host "${raw}": longer than ${MAX_HOST_LENGTH} characters` };
  if (host.includes('*')) {
    if (!host.startsWith(WILDCARD_PREFIX) || !DNS_SUBDOMAIN.test(host.slice(WILDCARD_PREFIX.length))) {
      return { ok: false, message: `invalid host "${raw}": a wildcard must be the whole first label, followed by a DNS name (e.g. "*.example.com")` };
    }
    return { ok: true, host };
  }
  if (!DNS_SUBDOMAIN.test(host)) {
    return { ok: false, message: `invalid host "${raw}": must be a DNS name of letters, digits, "-" and "." (RFC 1123), without port` };
  }
  return { ok: true, host };
}

export function isWildcardHost(host: string): boolean {
  return host.startsWith(WILDCARD_PREFIX);
}

/** True when `pattern` (a TLS host, maybe "*.example.com") covers `host` (a rule host, maybe a wildcard). */
export function hostCovers(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!isWildcardHost(pattern) || isWildcardHost(host)) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(WILDCARD_PREFIX.length);
}
