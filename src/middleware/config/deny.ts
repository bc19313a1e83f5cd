// Configuration of deny: what a route whose middleware configuration failed answers (fail closed).
import { ConfigReader } from './read.ts';

export interface DenyConfig {
  /** 503 when a referenced object is missing (it may appear), 500 when the configuration is invalid. */
  status: 500 | 503;
  /** For logs and the admin API; never sent to the client. */
  reason: string;
}

export function parseDenyConfig(raw: unknown): DenyConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const status = r.number('status', { integer: true }) ?? 500;
  if (status !== 500 && status !== 503) r.fail('status', `must be 500 or 503, got ${status}`);
  const reason = r.string('reason') ?? 'middleware configuration error';
  r.finish();
  return { status, reason };
}
