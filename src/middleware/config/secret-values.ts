// Secret values that middleware configuration needs, fetched through the SpecContext and checked here,
// so that a problem names the Secret and, for htpasswd, the line.
import { HtpasswdError, htpasswdLines, parseHtpasswd } from './htpasswd.ts';
import type { SpecContext } from './sources.ts';

/** The value, or null after reporting (a missing Secret or key, at `field`). */
export function secretValue(ctx: SpecContext, ref: { namespace: string; name: string }, key: string, field: string): string | null {
  const found = ctx.secret(ref.namespace, ref.name, key);
  if ('value' in found) return found.value;
  ctx.problem({ field, reason: found.missing ? 'SecretNotFound' : 'InvalidSecret', message: found.problem, missing: found.missing });
  return null;
}

/** The htpasswd lines of the Secret's key "auth" (ingress-nginx's layout), checked line by line. */
export function htpasswdFromSecret(ctx: SpecContext, ref: { namespace: string; name: string }, field: string): string[] | null {
  const text = secretValue(ctx, ref, 'auth', field);
  if (text === null) return null;
  const lines = htpasswdLines(text);
  try {
    parseHtpasswd(lines);
  } catch (err) {
    if (!(err instanceof HtpasswdError)) throw err;
    ctx.problem({ field, reason: 'InvalidSecret', message: `Secret ${ref.namespace}/${ref.name} data["auth"] line ${err.line + 1}: ${err.message}`, missing: false });
    return null;
  }
  return lines;
}
