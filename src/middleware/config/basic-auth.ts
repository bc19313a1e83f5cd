// Configuration of basic-auth: htpasswd lines (translate() copies them from the Secret), the realm,
// and what the upstream learns about the user.
import { MiddlewareConfigError } from '../types.ts';
import type { CidrSet } from '../../lib/cidr.ts';
import { HtpasswdError, parseHtpasswd, type HtpasswdEntry } from './htpasswd.ts';
import { cidrs } from './ip-filter.ts';
import { ConfigReader, HEADER_NAME } from './read.ts';

export interface BasicAuthConfig {
  entries: HtpasswdEntry[];
  realm: string;
  /** Removes the Authorization header before the request goes upstream. */
  removeHeader: boolean;
  /** Header that carries the authenticated user name upstream (any value the client sent is dropped). */
  headerField: string | null;
  /** Clients in these CIDRs pass without credentials (ingress-nginx's `satisfy any` with an allowlist). */
  allowSourceRange: CidrSet | null;
}

const REALM = { test: /^[^"\\\r\n]*$/, hint: 'a realm without quotes, backslashes or line breaks' };

export function parseBasicAuthConfig(raw: unknown): BasicAuthConfig {
  const r: ConfigReader = new ConfigReader(raw);
  // Blank and comment lines are kept so that indexes match the Secret's lines in messages.
  const users = r.stringList('users', true, true);
  if (users === undefined) r.fail('users', 'is required (htpasswd lines)');
  let entries: HtpasswdEntry[];
  try {
    entries = parseHtpasswd(users);
  } catch (err) {
    if (err instanceof HtpasswdError) throw new MiddlewareConfigError(r.field(`users[${err.line}]`), err.message);
    throw err;
  }
  const realm = r.string('realm', REALM) ?? 'Restricted';
  const removeHeader = r.boolean('removeHeader') ?? false;
  const headerField = r.string('headerField', HEADER_NAME) ?? null;
  const allowSourceRange = cidrs(r, 'allowSourceRange');
  r.finish();
  return { entries, realm, removeHeader, headerField, allowSourceRange };
}
