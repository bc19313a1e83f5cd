// basic-auth: HTTP Basic authentication against htpasswd entries (resolved from a Secret by translate()).
// Fail closed: no credentials, a malformed header, an unknown user or a wrong password all get 401 with
// the realm's WWW-Authenticate challenge. An unknown user is checked against a real entry's hash, so
// the answer takes as long as for a known user with a wrong password (no user enumeration by timing).
import { createHash } from 'node:crypto';
import { parseBasicAuthConfig } from '../config/basic-auth.ts';
import type { HtpasswdEntry } from '../config/htpasswd.ts';
import type { MiddlewareFactory } from '../types.ts';
import { answer } from './answer.ts';
import { verifyPassword } from './password-hash.ts';

/** Successful bcrypt checks are remembered (as a digest), so a client's every request does not pay bcrypt's cost. */
const VERIFIED_CACHE_SIZE = 1024;

export function parseBasicCredentials(header: string | undefined): { user: string; password: string } | null {
  if (header === undefined || header.length < 7 || header.slice(0, 6).toLowerCase() !== 'basic ') return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export const basicAuthFactory: MiddlewareFactory = {
  type: 'basic-auth',
  create(config) {
    const c = parseBasicAuthConfig(config);
    const users = new Map<string, HtpasswdEntry>(c.entries.map((e) => [e.user, e]));
    const decoy = c.entries[0]!;
    const challenge = { 'www-authenticate': `Basic realm="${c.realm}", charset="UTF-8"` };
    const verified = new Set<string>();

    async function check(user: string, password: string): Promise<boolean> {
      const entry = users.get(user);
      if (entry === undefined) {
        await verifyPassword(decoy, password);
        return false;
      }
      if (entry.scheme !== 'bcrypt') return verifyPassword(entry, password);
      const digest = createHash('sha256').update(user).update('\0').update(password).digest('base64');
      if (verified.has(digest)) return true;
      if (!(await verifyPassword(entry, password))) return false;
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.clear();
      verified.add(digest);
      return true;
    }

    const allowed = c.allowSourceRange;
    return async (ctx, next) => {
      if (allowed !== null && allowed.contains(ctx.request.clientAddress)) return next();
      const headers = ctx.request.headers;
      const credentials = parseBasicCredentials(headers.get('authorization'));
      if (credentials === null || !(await check(credentials.user, credentials.password))) {
        ctx.logFields.denied = 'basic-auth';
        return answer(ctx, 401, challenge);
      }
      ctx.logFields.user = credentials.user;
      if (c.removeHeader) headers.delete('authorization');
      if (c.headerField !== null) headers.set(c.headerField, credentials.user);
      return next();
    };
  },
};
