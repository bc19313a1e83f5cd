// Configuration of rewrite: how the request path is changed before it goes upstream. Operations apply
// in a fixed order: stripPrefix, then one of regex / replacePath / target, then addPrefix. The query
// string is never touched by stripPrefix, regex, replacePath or addPrefix.
import { ConfigReader } from './read.ts';
import { compileUserRegex } from './regex.ts';

export type PathReplacement =
  /** Traefik's replacePathRegex: every match of `regex` in the path is replaced ($1, $<name>, $$). */
  | { kind: 'regex'; regex: RegExp; replacement: string }
  | { kind: 'path'; path: string }
  /**
   * ingress-nginx's rewrite-target: when the route's own path (its regex, with use-regex) matches, the
   * whole path becomes `target` with the route regex's captures ($1...). A query in the target is kept
   * and the client's query is appended after it.
   */
  | { kind: 'target'; target: string };

export interface RewriteConfig {
  stripPrefixes: string[];
  replace: PathReplacement | null;
  addPrefix: string | null;
}

const ABSOLUTE_PATH = { test: /^\/[^\s?#]*$/, hint: 'an absolute path (starting with "/", without query)' };

export function parseRewriteConfig(raw: unknown): RewriteConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const stripPrefixes = r.stringList('stripPrefix', true) ?? [];
  stripPrefixes.forEach((prefix, i) => {
    if (!ABSOLUTE_PATH.test.test(prefix)) r.fail(`stripPrefix[${i}]`, `${JSON.stringify(prefix)} is not ${ABSOLUTE_PATH.hint}`);
  });
  const regex = r.string('regex');
  const replacement = r.raw('replacement');
  const replacePath = r.string('replacePath', ABSOLUTE_PATH);
  const target = r.string('target');
  const addPrefix = r.string('addPrefix', ABSOLUTE_PATH) ?? null;
  const chosen = [regex, replacePath, target].filter((v) => v !== undefined).length;
  if (chosen > 1) r.fail(regex !== undefined ? 'regex' : 'replacePath', 'regex, replacePath and target are alternatives: set one of them');
  let replace: PathReplacement | null = null;
  if (regex !== undefined) {
    if (typeof replacement !== 'string') r.fail('replacement', 'is required with regex (a string; may be empty)');
    replace = { kind: 'regex', regex: compileUserRegex(r, 'regex', regex, 'g'), replacement };
  } else if (replacement !== undefined) {
    r.fail('replacement', 'is only used with regex');
  } else if (replacePath !== undefined) {
    replace = { kind: 'path', path: replacePath };
  } else if (target !== undefined) {
    replace = { kind: 'target', target };
  }
  r.finish();
  if (stripPrefixes.length === 0 && replace === null && addPrefix === null) r.fail('stripPrefix', 'one of stripPrefix, regex, replacePath, target or addPrefix is required');
  return { stripPrefixes, replace, addPrefix };
}
