// Configuration of canary: which requests go to the canary backend instead of the route's own.
// Precedence as in ingress-nginx: the header decides when present, then the cookie, then the weight.
import { ConfigReader, HEADER_NAME } from './read.ts';
import { compileUserRegex } from './regex.ts';

export interface CanaryConfig {
  /** Key into the snapshot's backends; translate() resolves the Service into it. */
  backend: string;
  weight: number;
  weightTotal: number;
  /** "always" sends to the canary, "never" to the main backend; other values use headerValue/Pattern. */
  header: string | null;
  headerValue: string | null;
  headerPattern: RegExp | null;
  /** Cookie whose value "always" or "never" decides. */
  cookie: string | null;
}

export function parseCanaryConfig(raw: unknown): CanaryConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const backend = r.requiredString('backend');
  const weightTotal = r.number('weightTotal', { min: 1, max: 1_000_000, integer: true }) ?? 100;
  const weight = r.number('weight', { min: 0, max: weightTotal, integer: true }) ?? 0;
  const header = r.string('header', HEADER_NAME) ?? null;
  const headerValue = r.string('headerValue') ?? null;
  const pattern = r.string('headerPattern');
  const cookie = r.string('cookie', { test: /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, hint: 'a valid cookie name' }) ?? null;
  r.finish();
  if ((headerValue !== null || pattern !== undefined) && header === null) r.fail('header', 'is required with headerValue or headerPattern');
  if (headerValue !== null && pattern !== undefined) r.fail('headerPattern', 'headerValue and headerPattern are alternatives: set one');
  const headerPattern = pattern === undefined ? null : compileUserRegex(r, 'headerPattern', pattern);
  if (!r.has('weight') && header === null && cookie === null) r.fail('weight', 'weight, header or cookie is required to send any request to the canary');
  return { backend, weight, weightTotal, header, headerValue, headerPattern, cookie };
}
