// Configuration of the Gateway API filters' middlewares (translate/gateway/ writes it): gateway-redirect
// (RequestRedirect), gateway-rewrite (URLRewrite) and gateway-backends (weighted backendRefs).
import type { MiddlewareSpec } from '../../routing/spec.ts';
import { MiddlewareConfigError } from '../types.ts';
import { ConfigReader, isPlainObject } from './read.ts';
import { REDIRECT_STATUSES, type RedirectStatus } from './redirect.ts';

export interface PathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
  value: string;
  /** The PathPrefix value the route matched (ReplacePrefixMatch only). */
  prefix: string;
}

export interface GatewayRedirectConfig {
  scheme: 'http' | 'https' | null;
  hostname: string | null;
  port: number | null;
  statusCode: RedirectStatus;
  path: PathModifier | null;
}

export interface GatewayRewriteConfig {
  hostname: string | null;
  path: PathModifier | null;
}

export interface BackendChoice {
  /** Key into the snapshot's backends, or null: answered 500. */
  backend: string | null;
  weight: number;
  /** Middlewares run only for requests sent to this backend (a backendRef's own filters). */
  filters: MiddlewareSpec[];
}

const HOSTNAME = { test: /^[A-Za-z0-9.-]+$/, hint: 'a host name' };
const ABSOLUTE = { test: /^\/[^\s?#]*$/, hint: 'an absolute path without query' };

function pathModifier(r: ConfigReader): PathModifier | null {
  const p = r.child('path');
  if (p === undefined) return null;
  const type = p.oneOf('type', ['ReplaceFullPath', 'ReplacePrefixMatch'] as const);
  const value = p.requiredString('value', ABSOLUTE);
  const prefix = p.string('prefix', ABSOLUTE) ?? '/';
  p.finish();
  if (type === undefined) return p.fail('type', 'is required');
  return { type, value, prefix };
}

export function parseGatewayRedirectConfig(raw: unknown): GatewayRedirectConfig {
  const r = new ConfigReader(raw);
  const scheme = r.oneOf('scheme', ['http', 'https'] as const) ?? null;
  const hostname = r.string('hostname', HOSTNAME) ?? null;
  const port = r.number('port', { min: 1, max: 65535, integer: true }) ?? null;
  const statusCode = (r.number('statusCode', { integer: true }) ?? 302) as RedirectStatus;
  if (!REDIRECT_STATUSES.includes(statusCode)) r.fail('statusCode', `must be one of ${REDIRECT_STATUSES.join(', ')}, got ${statusCode}`);
  const path = pathModifier(r);
  r.finish();
  return { scheme, hostname, port, statusCode, path };
}

export function parseGatewayRewriteConfig(raw: unknown): GatewayRewriteConfig {
  const r = new ConfigReader(raw);
  const hostname = r.string('hostname', HOSTNAME) ?? null;
  const path = pathModifier(r);
  r.finish();
  if (hostname === null && path === null) r.fail('hostname', 'hostname or path is required');
  return { hostname, path };
}

export function parseGatewayBackendsConfig(raw: unknown): BackendChoice[] {
  const r = new ConfigReader(raw);
  const list = r.raw('choices');
  r.finish();
  if (!Array.isArray(list) || list.length === 0) return r.fail('choices', 'must be a non-empty list');
  return list.map((entry: unknown, i) => {
    const { backend, weight, filters = [] } = isPlainObject(entry) ? entry : {};
    if ((backend !== null && typeof backend !== 'string') || typeof weight !== 'number' || !Number.isInteger(weight) || weight <= 0) {
      throw new MiddlewareConfigError(`choices[${i}]`, 'needs a backend (a key, or null for 500) and a positive integer weight');
    }
    const isSpec = (f: unknown): f is MiddlewareSpec => isPlainObject(f) && typeof f.type === 'string' && typeof f.source === 'string' && isPlainObject(f.config);
    if (!Array.isArray(filters) || !filters.every(isSpec)) throw new MiddlewareConfigError(`choices[${i}].filters`, 'must be a list of middleware specs ({ type, source, config })');
    return { backend, weight, filters };
  });
}
