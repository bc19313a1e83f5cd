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

/** How a Secret holds its users: "auth-file", htpasswd lines under the key "auth"; "auth-map", one key per user whose value is the hash. */
export type UsersLayout = 'auth-file' | 'auth-map';

/** The Secret's users as htpasswd lines (ingress-nginx's two layouts), checked; a problem names the key or line. */
export function htpasswdFromSecret(ctx: SpecContext, ref: { namespace: string; name: string }, field: string, layout: UsersLayout = 'auth-file'): string[] | null {
  let lines: string[];
  let where: (line: number) => string;
  if (layout === 'auth-file') {
    const text = secretValue(ctx, ref, 'auth', field);
    if (text === null) return null;
    lines = htpasswdLines(text);
    where = (line) => `data["auth"] line ${line + 1}`;
  } else {
    const found = ctx.secretData(ref.namespace, ref.name);
    if (!('data' in found)) {
      ctx.problem({ field, reason: found.missing ? 'SecretNotFound' : 'InvalidSecret', message: found.problem, missing: found.missing });
      return null;
    }
    const users = Object.keys(found.data);
    // A value with a line break (further users smuggled in) is not a well-formed hash: parseHtpasswd refuses it.
    lines = users.map((user) => `${user}:${found.data[user]!.trim()}`);
    where = (line) => `data["${users[line]}"]`;
    if (lines.length === 0) {
      ctx.problem({ field, reason: 'InvalidSecret', message: `Secret ${ref.namespace}/${ref.name} has no keys: an auth-map Secret needs one key per user`, missing: false });
      return null;
    }
  }
  try {
    parseHtpasswd(lines);
  } catch (err) {
    if (!(err instanceof HtpasswdError)) throw err;
    ctx.problem({ field, reason: 'InvalidSecret', message: `Secret ${ref.namespace}/${ref.name} ${where(err.line)}: ${err.message}`, missing: false });
    return null;
  }
  return lines;
}
