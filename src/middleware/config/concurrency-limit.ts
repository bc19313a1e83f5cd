// Configuration of concurrency-limit: at most `max` requests of one client address waiting for the
// upstream at once (ingress-nginx's limit-connections, nginx's limit_conn).
import type { CidrSet } from '../../lib/cidr.ts';
import { cidrs } from './ip-filter.ts';
import { ConfigReader } from './read.ts';

export interface ConcurrencyLimitConfig {
  /** Who owns the counters ("Ingress ns/name"): two owners never share them. */
  scope: string;
  max: number;
  /** Answer beyond the limit: 503 as ingress-nginx (limit-conn-status-code), any 4xx or 5xx. */
  statusCode: number;
  /** Client addresses never limited, or null. */
  exempt: CidrSet | null;
}

export function parseConcurrencyLimitConfig(raw: unknown): ConcurrencyLimitConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const max = r.number('max', { min: 1, max: 1_000_000, integer: true });
  if (max === undefined) r.fail('max', 'is required');
  const statusCode = r.number('statusCode', { min: 400, max: 599, integer: true }) ?? 503;
  const exempt = cidrs(r, 'exemptSourceRanges');
  const scope = r.string('scope') ?? '';
  r.finish();
  return { scope, max, statusCode, exempt };
}
