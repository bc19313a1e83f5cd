// htpasswd lines ("user:hash") -> entries, checking each hash's format up front so that a bad line is
// reported when the configuration is read, not discovered when that user tries to log in. Supported
// schemes: bcrypt ($2y$, $2a$, $2b$), Apache MD5 ($apr1$), MD5-crypt ($1$) and SHA-1 ({SHA}).

export type HashScheme = 'bcrypt' | 'apr1' | 'md5-crypt' | 'sha1';

export interface HtpasswdEntry {
  user: string;
  scheme: HashScheme;
  hash: string;
}

export class HtpasswdError extends Error {
  /** Index of the offending line (0-based) in the list passed in. */
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.name = 'HtpasswdError';
    this.line = line;
  }
}

const SCHEMES: readonly [HashScheme, RegExp][] = [
  ['bcrypt', /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/],
  ['apr1', /^\$apr1\$[^$]{0,8}\$[./0-9A-Za-z]{22}$/],
  ['md5-crypt', /^\$1\$[^$]{0,8}\$[./0-9A-Za-z]{22}$/],
  ['sha1', /^\{SHA\}[A-Za-z0-9+/]{27}=$/],
];

const SUPPORTED = 'bcrypt ($2y$, $2a$, $2b$), $apr1$, $1$ or {SHA}';

function schemeOf(hash: string): HashScheme | null {
  for (const [scheme, shape] of SCHEMES) if (shape.test(hash)) return scheme;
  return null;
}

/** Splits a Secret's htpasswd text into lines; blank lines and # comments are kept out later. */
export function htpasswdLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** Parses lines; blank and "#" lines are skipped. Throws HtpasswdError naming the line. */
export function parseHtpasswd(lines: readonly string[]): HtpasswdEntry[] {
  const entries: HtpasswdEntry[] = [];
  const seen = new Map<string, number>();
  lines.forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HtpasswdError(i, 'expected "user:hash"');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    const scheme = schemeOf(hash);
    if (scheme === null) {
      const hint = hash.startsWith('$') ? ` (scheme "${hash.split('$')[1] ?? ''}")` : '';
      throw new HtpasswdError(i, `the hash of user ${JSON.stringify(user)} is not a supported or well-formed htpasswd hash${hint}; use ${SUPPORTED}`);
    }
    const previous = seen.get(user);
    if (previous !== undefined) throw new HtpasswdError(i, `user ${JSON.stringify(user)} is listed twice (also line ${previous + 1})`);
    seen.set(user, i);
    entries.push({ user, scheme, hash });
  });
  if (entries.length === 0) throw new HtpasswdError(0, 'no "user:hash" line');
  return entries;
}
