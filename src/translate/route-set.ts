// Routes of all Ingresses merged by host. Ingresses are added in precedence order, so the first
// claim of a (host, path) wins and later ones are reported as conflicts. Two paths conflict when
// they match the same requests: same kind and same path, where Prefix "/foo" and "/foo/" are the
// same path.
import type { RouteSpec, RouteTableSpec } from '../routing/spec.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';

export interface Claimed {
  route: RouteSpec;
  /** "Ingress ns/name spec.rules[0].http.paths[1]" */
  where: string;
}

function describeHost(host: string): string {
  return host === '' ? 'the rules without host' : `host "${host}"`;
}

/** A claim that no one with precedence holds: its backend's problems go to `diag`, and `add` serves the route. */
export interface ClaimScope {
  readonly diag: ObjectDiagnostics;
  add(route: RouteSpec): void;
}

/** Where translateIngress() claims paths: the full translation's RouteSet or the incremental recorder. */
export interface RouteSink {
  /**
   * Claims a path of a host; null, and a PathConflict warning, when an earlier Ingress (or rule)
   * already serves it. Checked before the backend is resolved, so that a losing path costs nothing else.
   * `where` names the claim for the losers' warnings ("Ingress ns/name spec.rules[0].http.paths[1]").
   */
  claimPath(host: string, conflictKey: string, describe: { kind: string; path: string }, at: string, where: string, diag: ObjectDiagnostics): ClaimScope | null;
  /** Same rule for spec.defaultBackend: the first Ingress to set one keeps it. */
  claimDefault(at: string, where: string, diag: ObjectDiagnostics): ClaimScope | null;
}

export function pathConflictMessage(host: string, describe: { kind: string; path: string }, winner: Claimed): string {
  return `${describe.kind} path ${JSON.stringify(describe.path)} of ${describeHost(host)} is already served by ${winner.where} (${winner.route.kind} ${JSON.stringify(winner.route.path)}), which takes precedence (older, or first by namespace/name); this path is not served`;
}

export function defaultConflictMessage(winnerWhere: string): string {
  return `the default backend is already set by ${winnerWhere}, which takes precedence (older, or first by namespace/name); this one is not used`;
}

export class RouteSet implements RouteSink {
  private readonly claimed = new Map<string, Claimed>();
  private readonly byHost = new Map<string, RouteSpec[]>();
  private defaultClaim: Claimed | null = null;

  claimPath(host: string, conflictKey: string, describe: { kind: string; path: string }, at: string, where: string, diag: ObjectDiagnostics): ClaimScope | null {
    const winner = this.claimed.get(`${host}\u0000${conflictKey}`);
    if (winner !== undefined) {
      diag.warning(at, 'PathConflict', pathConflictMessage(host, describe, winner));
      return null;
    }
    return { diag, add: (route) => this.add(route, conflictKey, where) };
  }

  private add(route: RouteSpec, conflictKey: string, where: string): void {
    this.claimed.set(`${route.host}\u0000${conflictKey}`, { route, where });
    const list = this.byHost.get(route.host);
    if (list) list.push(route);
    else this.byHost.set(route.host, [route]);
  }

  claimDefault(at: string, where: string, diag: ObjectDiagnostics): ClaimScope | null {
    if (this.defaultClaim !== null) {
      diag.warning(at, 'DefaultBackendConflict', defaultConflictMessage(this.defaultClaim.where));
      return null;
    }
    return { diag, add: (route) => (this.defaultClaim = { route, where }) };
  }

  defaultRoute(): RouteSpec | null {
    return this.defaultClaim?.route ?? null;
  }

  /** Hosts sorted ("" first), routes of a host sorted by path, then kind, then id. */
  hosts(): RouteTableSpec['hosts'] {
    return [...this.byHost.keys()].sort(compareStrings).map((host) => ({ host, routes: sortRoutes(this.byHost.get(host)!) }));
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The order of a host's routes in the table: by path, then kind, then id. */
export function sortRoutes(routes: readonly RouteSpec[]): RouteSpec[] {
  return [...routes].sort((a, b) => compareStrings(a.path, b.path) || compareStrings(a.kind, b.kind) || compareStrings(a.id, b.id));
}
