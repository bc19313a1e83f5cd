// The routes of one host, and the precedence rule between them (docs/routing.md):
//   1. an Exact path equal to the request path;
//   2. otherwise the longest element-wise Prefix match and the Regex routes compete by the length of
//      the path as written: Regex routes are tried longest source first, and the first one that
//      matches wins if its source is longer than the Prefix path; at equal length the Prefix wins.
// This keeps ingress-nginx's "regex locations ordered by length" while leaving Exact and Prefix with
// their Kubernetes meaning.
//
// Gateway API routes may add predicates (method, headers, query parameters): routes of the same path
// then form a chain in HTTPRoute precedence order (guard.ts), and the last guarded route of a Prefix
// chain links to the chain of the next shorter Prefix path, so a request whose predicates fail at
// "/a/b" is still served by "/a". A route without a guard ends a chain; a slot whose first route has
// no guard costs one null check more than before.
import type { RouteSpec } from './spec.ts';
import { comparePrecedence, type RouteGuard } from './guard.ts';
import { compilePathRegex } from './path-regex.ts';
import { PathTree, prefixKey, type PathTreeMatch } from './path-tree.ts';

/** What the matcher holds: a route, its predicates (null: none) and the next candidate of its chain. */
export interface MatchCandidate<R> {
  readonly spec: RouteSpec;
  readonly guard: RouteGuard | null;
  next: R | null;
}

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

/** Inserts route into the chain starting at head (precedence order); returns the new head, or null for a duplicate. */
function insertInChain<R extends MatchCandidate<R>>(head: R | null, route: R): R | null {
  if (head === null) return route;
  let previous: R | null = null;
  let current: R | null = head;
  while (current !== null && comparePrecedence(current.spec.gateway, route.spec.gateway) <= 0) {
    // Two routes without predicates on one path: the first one stays (translate() reported the other).
    if (current.guard === null) return route.guard === null ? null : head;
    previous = current;
    current = current.next;
  }
  if (route.guard === null && current !== null) {
    // An unguarded route ends the chain: what follows it could never be reached.
    route.next = null;
  } else {
    route.next = current;
  }
  if (previous === null) return route;
  previous.next = route;
  return head;
}

/** The first route of the chain whose predicates hold for the request, or null. */
function pick<R extends MatchCandidate<R>>(head: R | null, method: string, headers: readonly string[], path: string, port: number): R | null {
  let candidate = head;
  while (candidate !== null) {
    if (candidate.guard === null || candidate.guard.test(method, headers, path, port)) return candidate;
    candidate = candidate.next;
  }
  return null;
}

const NO_HEADERS: readonly string[] = [];

export class PathMatcher<R extends MatchCandidate<R>> {
  private readonly tree = new PathTree<R>();
  private readonly regexes: RegexEntry<R>[] = [];
  /** Reused by every match() call: lookups are synchronous, so one scratch object per matcher is safe. */
  private readonly scratch: PathTreeMatch<R> = { exact: null, prefix: null };

  /** Adds a route; returns false when an equivalent path is already present (the first one stays). */
  add(route: R): boolean {
    const { kind, path, id } = route.spec;
    switch (kind) {
      case 'Exact':
      case 'Prefix': {
        let added = false;
        this.tree.update(kind === 'Exact' ? path : prefixKey(path), kind === 'Exact' ? 'exact' : 'prefix', (head) => {
          const merged = insertInChain(head, route);
          added = merged !== null;
          return merged ?? head!;
        });
        return added;
      }
      case 'Regex': {
        // Same source and no predicates on either: the first one stays (translate() reported the other).
        if (route.guard === null && this.regexes.some((entry) => entry.source === path && entry.route.guard === null)) return false;
        let regex: RegExp;
        try {
          regex = compilePathRegex(path);
        } catch (err) {
          throw new RouteCompileError(id, `invalid regex ${JSON.stringify(path)}: ${(err as Error).message}`);
        }
        this.regexes.push({ regex, source: path, route });
        // Longest source first; ties by source so the order does not depend on insertion order.
        this.regexes.sort((a, b) => b.source.length - a.source.length || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) || comparePrecedence(a.route.spec.gateway, b.route.spec.gateway));
        return true;
      }
      default:
        throw new RouteCompileError(id, `unknown path kind ${JSON.stringify(kind)}`);
    }
  }

  /** Links the last guarded route of every Prefix chain to the chain of its next shorter Prefix path; call once after add(). */
  finish(): void {
    this.tree.eachPrefixWithParent((head, parent) => {
      let tail = head;
      while (tail.next !== null) tail = tail.next;
      if (tail.guard !== null) tail.next = parent;
    });
  }

  /**
   * Matches path[0, end) (end excludes the query string). `method`, `headers` (flat name/value list),
   * the query string of `path` and `port` (the Gateway listener port the request arrived on, as written)
   * are read only by routes with predicates.
   */
  match(path: string, end: number, method = 'GET', headers: readonly string[] = NO_HEADERS, port = 80): R | null {
    const found = this.scratch;
    this.tree.lookup(path, end, found);
    const exact = found.exact;
    if (exact !== null) {
      if (exact.guard === null) return exact;
      const picked = pick(exact, method, headers, path, port);
      if (picked !== null) return picked;
    }
    let prefix = found.prefix;
    if (prefix !== null && prefix.guard !== null) prefix = pick(prefix, method, headers, path, port);
    const regexes = this.regexes;
    if (regexes.length === 0) return prefix;
    const prefixLength = prefix === null ? -1 : prefix.spec.path.length;
    let subject: string | null = null;
    for (let i = 0; i < regexes.length; i++) {
      const entry = regexes[i]!;
      if (entry.source.length <= prefixLength) break;
      // Only Regex routes pay for cutting off the query string.
      subject ??= end === path.length ? path : path.slice(0, end);
      if (entry.regex.test(subject) && (entry.route.guard === null || entry.route.guard.test(method, headers, path, port))) return entry.route;
    }
    return prefix;
  }
}
