// A new route table as the difference from the previous one: the hosts whose routes changed, the
// backends whose endpoints or settings changed, and the certificates and default route when they did.
// The primary sends this to its workers instead of the whole table: an EndpointSlice change among
// 5,000 Ingresses is one backend's endpoint list on the wire, not every route, backend and certificate.
import type { BackendSpec, RouteSpec, TlsCertificateSpec } from '../routing/index.ts';
import type { TableDelta } from '../translate/incremental/index.ts';

export interface SpecDelta {
  /** The version this delta applies to; a worker serving another one asks for the whole table. */
  base: number;
  version: number;
  hosts: { host: string; routes: RouteSpec[] }[];
  removedHosts: string[];
  backends: BackendSpec[];
  removedBackends: string[];
  /** Present when the default route changed (null: there is none now). */
  defaultRoute?: RouteSpec | null;
  /** Present when the certificates changed: all of them, and the operator's default (null: none). */
  certificates?: { list: TlsCertificateSpec[]; defaultCertificate: TlsCertificateSpec | null };
}

/** What specDelta() reads of the new table (IncrementalTranslator provides it without building the table). */
export interface TableParts {
  routesOf(host: string): readonly RouteSpec[];
  backend(key: string): BackendSpec | undefined;
  readonly defaultRoute: RouteSpec | null;
  readonly certificateList: readonly TlsCertificateSpec[];
  readonly defaultCertificateSpec: TlsCertificateSpec | null;
}

/** The delta from version `base` to `version`, given what changed (from the incremental translator). */
export function specDelta(base: number, version: number, changed: TableDelta, table: TableParts): SpecDelta {
  const delta: SpecDelta = {
    base,
    version,
    hosts: [...changed.hosts].map((host) => ({ host, routes: [...table.routesOf(host)] })),
    removedHosts: [...changed.removedHosts],
    backends: [...changed.backends].flatMap((key) => table.backend(key) ?? []),
    removedBackends: [...changed.removedBackends],
  };
  if (changed.defaultRoute) delta.defaultRoute = table.defaultRoute;
  if (changed.certificates) delta.certificates = { list: [...table.certificateList], defaultCertificate: table.defaultCertificateSpec };
  return delta;
}
