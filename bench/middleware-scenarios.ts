// Scenarios for the cost of the middleware layer (Tideway only: nginx has no equivalent to compare).
// Each hits the same upstream path as small-get through a host whose Ingress carries middlewares; the
// report's per-middleware overhead in microseconds is 1/rps(with) - 1/rps(bare) of one saturated core.
import { createHmac } from 'node:crypto';
import { stringify } from 'yaml';
import { API_VERSIONS } from '../src/kube/types.ts';
import type { Scenario } from './scenarios.ts';

const NAMESPACE = 'bench';
const SECRET_NAME = 'bench-jwt';
const HMAC_SECRET = 'a bench-only HMAC secret of more than thirty-two bytes';

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** An HS256 token valid for a day from now, signed with the bench secret. */
export function benchToken(): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ sub: 'bench', exp: Math.floor(Date.now() / 1000) + 86_400 }));
  const signature = createHmac('sha256', HMAC_SECRET).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

interface MiddlewareCase {
  host: string;
  annotations: Record<string, string>;
  description: string;
}

const CASES: Record<string, MiddlewareCase> = {
  'mw-rate-limit': { host: 'ratelimit.bench', annotations: { 'tideway.dev/rate-limit-rps': '1000000', 'tideway.dev/rate-limit-burst': '1000000' }, description: 'local token-bucket rate limit per client IP' },
  'mw-jwt': { host: 'jwt.bench', annotations: { 'tideway.dev/middlewares': 'jwt' }, description: 'HS256 JWT verification' },
  'mw-headers': { host: 'headers.bench', annotations: { 'tideway.dev/middlewares': 'headers' }, description: 'request and response header set' },
  'mw-all': { host: 'all.bench', annotations: { 'tideway.dev/rate-limit-rps': '1000000', 'tideway.dev/rate-limit-burst': '1000000', 'tideway.dev/middlewares': 'jwt, headers' }, description: 'rate limit + JWT + header rewrite' },
};

/** Manifests for the middleware hosts, routed to `service` (the bench upstream Service, port 80). */
export function middlewareManifests(service: string, ingressClass: string): string {
  const objects: object[] = [
    { apiVersion: API_VERSIONS.Secret, kind: 'Secret', type: 'Opaque', metadata: { name: SECRET_NAME, namespace: NAMESPACE }, data: { secret: Buffer.from(HMAC_SECRET).toString('base64') } },
    { apiVersion: API_VERSIONS.Middleware, kind: 'Middleware', metadata: { name: 'jwt', namespace: NAMESPACE }, spec: { jwt: { algorithms: ['HS256'], hmacSecret: { secret: SECRET_NAME } } } },
    { apiVersion: API_VERSIONS.Middleware, kind: 'Middleware', metadata: { name: 'headers', namespace: NAMESPACE }, spec: { headers: { request: { set: { 'X-Bench': 'on' } }, response: { set: { 'X-Served-By': 'tideway' } } } } },
  ];
  for (const [name, c] of Object.entries(CASES)) {
    objects.push({
      apiVersion: API_VERSIONS.Ingress,
      kind: 'Ingress',
      metadata: { name, namespace: NAMESPACE, annotations: c.annotations },
      spec: { ingressClassName: ingressClass, rules: [{ host: c.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } }] },
    });
  }
  return objects.map((o) => stringify(o)).join('---\n');
}

/** One scenario per case, shaped like small-get but with the case's Host (and a token where needed). */
export function middlewareScenarios(base: Scenario): Scenario[] {
  const token = benchToken();
  return Object.entries(CASES).map(([name, c]) => ({
    ...base,
    name,
    description: `small GET through ${c.description}`,
    proxies: ['tideway'],
    sampleMemory: false,
    // "Host" capitalised: wrk adds its own Host header unless it sees exactly this name.
    headers: { Host: c.host, Authorization: `Bearer ${token}` },
  }));
}
