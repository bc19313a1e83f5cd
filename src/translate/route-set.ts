// Routes of all Ingresses merged by host. Ingresses are added in precedence order, so the first
// claim of a (host, path) wins and later ones are reported as conflicts. Two paths conflict when
// they match the same requests: same kind and same path, where Prefix "/foo" and "/foo/" are the
// same path.
import type { RouteSpec, RouteTableSpec } from '../routing/spec.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';

interface Claimed {
  route: RouteSpec;
  /** "Ingress ns/name spec.rules[0].http.paths[1]" */
  where: string;
}

function describeHost(host: string): string {
  return host === '' ? 'the rules without host' : `host "${host}"`;
}

export class RouteSet {
  private readonly claimed = new Map<string, Claimed>();
  private readonly byHost = new Map<string, RouteSpec[]>();
  private defaultClaim: Claimed | null = null;

  /**
   * Reports and returns true when an earlier Ingress (or rule) already serves this path of this
   * host; checked before the backend is resolved, so that a losing path costs nothing else.
   */
  isTaken(host: string, conflictKey: string, describe: { kind: string; path: string }, at: string, diag: ObjectDiagnostics): boolean {
    const winner = this.claimed.get(`${host}\u0000${conflictKey}`);
    if (winner === undefined) return false;
    diag.warning(
      at,
      'PathConflict',
      `${describe.kind} path ${JSON.stringify(describe.path)} of ${describeHost(host)} is already served by ${winner.where} (${winner.route.kind} ${JSON.stringify(winner.route.path)}), which takes precedence (older, or first by namespace/name); this path is not served`,
    );
    return true;
  }

  add(route: RouteSpec, conflictKey: string, where: string): void {
    this.claimed.set(`${route.host}\u0000${conflictKey}`, { route, where });
    const list = this.byHost.get(route.host);
    if (list) list.push(route);
    else this.byHost.set(route.host, [route]);
  }

  /** Same rule for spec.defaultBackend: the first Ingress to set one keeps it. */
  defaultIsTaken(at: string, diag: ObjectDiagnostics): boolean {
    if (this.defaultClaim === null) return false;
    diag.warning(at, 'DefaultBackendConflict', `the default backend is already set by ${this.defaultClaim.where}, which takes precedence (older, or first by namespace/name); this one is not used`);
    return true;
  }

  setDefault(route: RouteSpec, where: string): void {
    this.defaultClaim = { route, where };
  }

  defaultRoute(): RouteSpec | null {
    return this.defaultClaim?.route ?? null;
  }

  /** Hosts sorted ("" first), routes of a host sorted by path, then kind, then id. */
  hosts(): RouteTableSpec['hosts'] {
    const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    return [...this.byHost.keys()].sort(compare).map((host) => ({
      host,
      routes: [...this.byHost.get(host)!].sort((a, b) => compare(a.path, b.path) || compare(a.kind, b.kind) || compare(a.id, b.id)),
    }));
  }
}
