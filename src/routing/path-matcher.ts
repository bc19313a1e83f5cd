// The routes of one host, and the precedence rule between them (docs/routing.md):
//   1. an Exact path equal to the request path;
//   2. otherwise the longest element-wise Prefix match and the Regex routes compete by the length of
//      the path as written: Regex routes are tried longest source first, and the first one that
//      matches wins if its source is longer than the Prefix path; at equal length the Prefix wins.
// This keeps ingress-nginx's "regex locations ordered by length" while leaving Exact and Prefix with
// their Kubernetes meaning.
import type { RouteSpec } from './spec.ts';
import { compilePathRegex } from './path-regex.ts';
import { PathTree, prefixKey, type PathTreeMatch } from './path-tree.ts';

interface RegexEntry<R> {
  regex: RegExp;
  source: string;
  route: R;
}

export class RouteCompileError extends Error {
  readonly routeId: string;
  constructor(routeId: string, why: string) {
    super(`route ${routeId}: ${why}`);
    this.name = 'RouteCompileError';
    this.routeId = routeId;
  }
}

export class PathMatcher<R extends { readonly spec: RouteSpec }> {
  private readonly tree = new PathTree<R>();
  private readonly regexes: RegexEntry<R>[] = [];
  /** Reused by every match() call: lookups are synchronous, so one scratch object per matcher is safe. */
  private readonly scratch: PathTreeMatch<R> = { exact: null, prefix: null };

  /** Adds a route; returns false when an equivalent path is already present (the first one stays). */
  add(route: R): boolean {
    const { kind, path, id } = route.spec;
    switch (kind) {
      case 'Exact':
        return this.tree.insert(path, 'exact', route);
      case 'Prefix':
        return this.tree.insert(prefixKey(path), 'prefix', route);
      case 'Regex': {
        if (this.regexes.some((entry) => entry.source === path)) return false;
        let regex: RegExp;
        try {
          regex = compilePathRegex(path);
        } catch (err) {
          throw new RouteCompileError(id, `invalid regex ${JSON.stringify(path)}: ${(err as Error).message}`);
        }
        this.regexes.push({ regex, source: path, route });
        // Longest source first; ties by source so the order does not depend on insertion order.
        this.regexes.sort((a, b) => b.source.length - a.source.length || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
        return true;
      }
      default:
        throw new RouteCompileError(id, `unknown path kind ${JSON.stringify(kind)}`);
    }
  }

  /** Matches path[0, end) (end excludes the query string). */
  match(path: string, end: number): R | null {
    const found = this.scratch;
    this.tree.lookup(path, end, found);
    if (found.exact !== null) return found.exact;
    const prefix = found.prefix;
    const regexes = this.regexes;
    if (regexes.length === 0) return prefix;
    const prefixLength = prefix === null ? -1 : prefix.spec.path.length;
    let subject: string | null = null;
    for (let i = 0; i < regexes.length; i++) {
      const entry = regexes[i]!;
      if (entry.source.length <= prefixLength) break;
      // Only Regex routes pay for cutting off the query string.
      subject ??= end === path.length ? path : path.slice(0, end);
      if (entry.regex.test(subject)) return entry.route;
    }
    return prefix;
  }
}
