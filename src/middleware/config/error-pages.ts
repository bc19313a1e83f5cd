// Configuration of error-pages: upstream answers with these statuses get the gateway's own short
// plain-text body instead of the upstream's (ingress-nginx's custom-http-errors intercepts them too).
import { ConfigReader } from './read.ts';

export interface ErrorPagesConfig {
  statuses: ReadonlySet<number>;
}

export function parseErrorPagesConfig(raw: unknown): ErrorPagesConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const list = r.raw('statuses');
  if (!Array.isArray(list) || list.length === 0) r.fail('statuses', 'a non-empty list of statuses from 400 to 599 is required');
  list.forEach((status, i) => {
    if (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 599) r.fail(`statuses[${i}]`, `must be a status from 400 to 599, got ${JSON.stringify(status)}`);
  });
  r.finish();
  return { statuses: new Set(list as number[]) };
}
