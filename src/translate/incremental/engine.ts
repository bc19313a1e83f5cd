// The incremental translator: the same table and diagnostics as translate(), kept up to date change by
// change instead of rebuilt. translate() stays the reference; test/translate/incremental.test.ts checks
// that both agree on random sequences of changes.
//
// How a change travels:
// - An object changes: the fragments that read it (the dependency index, built from what each fragment
//   looked up) are rebuilt, and the object's own fragment if it has one (Service -> the Ingresses routing
//   to it; Secret -> those naming it; IngressClass -> the Ingresses of that class, or of none).
// - A rebuilt fragment's hosts are merged again: the claims of every fragment on that host, in
//   precedence order (oldest Ingress first, then namespace/name), decide who serves each path. Only the
//   Ingresses claiming on those hosts get their diagnostics replayed.
// - EndpointSlices touch no fragment: their Service's backends get new endpoint lists, no route is rebuilt.
//
// Another kind's translator (Gateway API routes) plugs in by producing Fragments for its objects: claims
// on hosts, backends, TLS claims and diagnostics, with its reads recorded through the same Lookups.
import type { Diagnostic } from '../../kube/diagnostic.ts';
import type { AnyKubeObject, Ingress, Kind } from '../../kube/types.ts';
import type { BackendSpec, RouteSpec, RouteTableSpec, TlsCertificateSpec } from '../../routing/spec.ts';
import { backendSpec, type BackendDefinition } from '../backends.ts';
import { DiagnosticSink } from '../diagnostics.ts';
import { resolveTranslateOptions, type TranslateOptions, type TranslateOptionsInput } from '../options.ts';
import { compareIngressPrecedence } from '../precedence.ts';
import { defaultConflictMessage, pathConflictMessage, sortRoutes } from '../route-set.ts';
import { CertificateSet, certificateSpecs, tlsConflictMessage, type Claim } from '../tls.ts';
import type { TranslateResult } from '../translate.ts';
import { ingressFragment, type DefaultStep, type Fragment, type PathStep, type RecordedDiagnostic, type TlsStep } from './fragment.ts';
import { LiveIndex } from './live-index.ts';
import { EVERY_INGRESS_CLASS } from './recording-lookups.ts';

/** One object as it is now: undefined when it is gone. */
export interface ObjectChange {
  kind: Kind;
  namespace: string | undefined;
  name: string;
  object: AnyKubeObject | undefined;
}

/** What one apply() changed in the table, for the workers (the rest of the table is as it was). */
export interface TableDelta {
  /** Hosts whose routes changed (a host with no routes left is in removedHosts). */
  hosts: Set<string>;
  removedHosts: Set<string>;
  backends: Set<string>;
  removedBackends: Set<string>;
  certificates: boolean;
  defaultRoute: boolean;
}

/** How a claim came out of the merge: the winner it lost to, or nothing (not taken). */
type Outcome = { lost: { route: RouteSpec; where: string } } | { lostTls: Claim } | null;

function emptyDelta(): TableDelta {
  return { hosts: new Set(), removedHosts: new Set(), backends: new Set(), removedBackends: new Set(), certificates: false, defaultRoute: false };
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The kinds Ingress translation reads; any other kind present makes the translator incomplete. */
const INGRESS_KINDS: ReadonlySet<Kind> = new Set(['Ingress', 'IngressClass', 'Service', 'EndpointSlice', 'Secret', 'Middleware']);

export class IncrementalTranslator {
  private readonly options: TranslateOptions;
  /** Objects of kinds this translator does not translate (Gateway API, ConfigMaps), by kind/ref. */
  private readonly foreign = new Set<string>();
  /** ingress-nginx canary Ingresses: they change other Ingresses' routes, which fragments do not model. */
  private readonly canaries = new Set<string>();
  private readonly index = new LiveIndex();
  /** Fragments of every Ingress, by "namespace/name". */
  private readonly fragments = new Map<string, Fragment>();
  /** objectKey() read -> the Ingresses whose fragment read it. */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly pathClaimants = new Map<string, Set<string>>();
  private readonly tlsClaimants = new Map<string, Set<string>>();
  private readonly defaultClaimants = new Set<string>();
  private readonly outcomes = new Map<PathStep | DefaultStep | TlsStep, Outcome>();
  private readonly routesByHost = new Map<string, RouteSpec[]>();
  private readonly tlsWinners = new Map<string, TlsStep>();
  private defaultWinner: DefaultStep | null = null;
  /** Diagnostics by "kind\0object". */
  private readonly diagnostics = new Map<string, Diagnostic[]>();
  /** Backend keys each served Ingress uses (after the merge), and how many Ingresses use each key. */
  private readonly used = new Map<string, Set<string>>();
  private readonly useCount = new Map<string, number>();
  private readonly definitions = new Map<string, BackendDefinition>();
  /** The fragments that resolved each backend key (used or not: a lost claim may win later). */
  private readonly definedBy = new Map<string, Set<string>>();
  private readonly backends = new Map<string, BackendSpec>();
  /** Keys in use by "namespace/service". */
  private readonly keysOfService = new Map<string, Set<string>>();
  private certificates: TlsCertificateSpec[] = [];
  /** Caches of table(), dropped when hosts or backends change. */
  private hostOrder: string[] | null = null;
  private backendTable: Record<string, BackendSpec> | null = null;
  private defaultCertificate: TlsCertificateSpec | null = null;
  /**
   * servedIngresses(), kept until a host's routes or the default route change: an endpoint change then
   * hands the status writer the same list (the same array), which it skips at once.
   */
  private served: readonly string[] | null = null;

  constructor(options: TranslateOptionsInput = {}) {
    this.options = resolveTranslateOptions(options);
  }

  /**
   * Whether the result is translate()'s for the objects given. False while the objects include what
   * only the full translation handles: Gateway API objects and ConfigMaps (no fragments of theirs yet),
   * ingress-nginx canary Ingresses (which merge into other Ingresses' routes), Ingresses whose nginx
   * annotations read other Ingresses' hosts or endpoints (NginxView.crossObject) and ingress-nginx's
   * ConfigMap (--ingress-nginx-configmap: defaults of every Ingress). The caller then
   * runs translate() itself; the translator keeps following the changes all the same.
   */
  get complete(): boolean {
    return this.foreign.size === 0 && this.canaries.size === 0 && this.options.nginxConfigMap === null;
  }

  /** Takes changed objects into account; returns what changed in the table. */
  apply(changes: Iterable<ObjectChange>): TableDelta {
    const run = this.applyGradually(changes);
    for (;;) {
      const step = run.next();
      if (step.done) return step.value;
    }
  }

  /**
   * apply() in small steps: it yields after each unit of work (a fragment built, a host merged), so
   * that the caller can hand the event loop back between slices. Nothing may read the translator
   * until the generator is done; another change waits for it.
   */
  *applyGradually(changes: Iterable<ObjectChange>): Generator<void, TableDelta, void> {
    const delta = emptyDelta();
    const rebuild = new Set<string>();
    const services = new Set<string>();
    for (const change of changes) {
      const ref = change.kind === 'IngressClass' ? change.name : `${change.namespace ?? 'default'}/${change.name}`;
      // Only Gateway API translation reads Namespaces, and their objects make this translator incomplete.
      if (change.kind === 'Namespace') continue;
      if (!INGRESS_KINDS.has(change.kind)) {
        if (change.object) this.foreign.add(`${change.kind}/${ref}`);
        else this.foreign.delete(`${change.kind}/${ref}`);
        continue;
      }
      for (const service of this.index.set(change.kind, ref, change.object)) services.add(service);
      if (change.kind === 'Ingress') rebuild.add(ref);
      if (change.kind === 'Service') services.add(ref);
      // A slice's diagnostics are set again below if it still belongs to a Service in use.
      if (change.kind === 'EndpointSlice') this.diagnostics.delete(`EndpointSlice\u0000${ref}`);
      const key = change.kind === 'IngressClass' ? `IngressClass/${ref}` : `${change.kind}/${ref}`;
      for (const dependent of this.dependents.get(key) ?? []) rebuild.add(dependent);
      if (change.kind === 'IngressClass') for (const dependent of this.dependents.get(EVERY_INGRESS_CLASS) ?? []) rebuild.add(dependent);
    }

    const hosts = new Set<string>();
    const tlsHosts = new Set<string>();
    const render = new Set<string>();
    let defaults = false;
    for (const ref of rebuild) {
      const before = this.fragments.get(ref);
      if (before) defaults = this.forget(before, hosts, tlsHosts) || defaults;
      const ingress = this.index.ingresses.get(ref);
      if (ingress) defaults = this.remember(ingressFragment(ingress, this.index, this.options), hosts, tlsHosts, services) || defaults;
      render.add(ref);
      yield;
    }

    for (const host of hosts) {
      this.mergeHost(host, render, delta);
      yield;
    }
    for (const host of tlsHosts) this.mergeTls(host, render);
    if (tlsHosts.size > 0) delta.certificates = true;
    if (defaults) this.mergeDefault(render, delta);
    yield;
    for (const ref of render) {
      this.render(ref, services);
      yield;
    }
    yield* this.refreshBackends(services, delta);
    this.refreshCertificates(delta);
    if (delta.backends.size + delta.removedBackends.size > 0) this.backendTable = null;
    return delta;
  }

  /**
   * The whole table and diagnostics, as translate() would give them for the same objects. No Gateway API
   * status: while Gateway API objects exist the translator is not complete and translate() runs instead.
   */
  result(sourceDiagnostics: readonly Diagnostic[] = []): TranslateResult {
    return { table: this.table(), diagnostics: this.diagnosticList(sourceDiagnostics), gatewayStatus: { entries: [] } };
  }

  /** The whole table (version 0): hosts and backends sorted as translate() sorts them. */
  table(): RouteTableSpec {
    this.hostOrder ??= [...this.routesByHost.keys()].sort(compareStrings);
    if (this.backendTable === null) {
      this.backendTable = {};
      for (const key of [...this.backends.keys()].sort()) this.backendTable[key] = this.backends.get(key)!;
    }
    return {
      version: 0,
      hosts: this.hostOrder.map((host) => ({ host, routes: this.routesByHost.get(host)! })),
      defaultRoute: this.defaultRoute,
      backends: this.backendTable,
      certificates: this.certificates,
      ...(this.defaultCertificate === null ? {} : { defaultCertificate: this.defaultCertificate }),
    };
  }

  /** The sources' diagnostics, then translation's, grouped by kind and object as translate() gives them. */
  diagnosticList(sourceDiagnostics: readonly Diagnostic[] = []): Diagnostic[] {
    const diagnostics = [...sourceDiagnostics];
    for (const key of [...this.diagnostics.keys()].sort(compareStrings)) diagnostics.push(...this.diagnostics.get(key)!);
    return diagnostics;
  }

  /** The Ingresses that serve at least one route ("namespace/name"). */
  servedIngresses(): readonly string[] {
    if (this.served !== null) return this.served;
    const served = new Set<string>();
    for (const routes of this.routesByHost.values()) for (const route of routes) served.add(`${route.namespace}/${route.ingress}`);
    const fallback = this.defaultRoute;
    if (fallback) served.add(`${fallback.namespace}/${fallback.ingress}`);
    return (this.served = [...served]);
  }

  /** Routes (the default one included) and backends in the table. */
  get size(): { routes: number; backends: number } {
    let routes = this.defaultRoute ? 1 : 0;
    for (const list of this.routesByHost.values()) routes += list.length;
    return { routes, backends: this.backends.size };
  }

  get defaultCertificateSpec(): TlsCertificateSpec | null {
    return this.defaultCertificate;
  }

  /** The routes of one host now (empty when it has none). */
  routesOf(host: string): readonly RouteSpec[] {
    return this.routesByHost.get(host) ?? [];
  }

  backend(key: string): BackendSpec | undefined {
    return this.backends.get(key);
  }

  get certificateList(): readonly TlsCertificateSpec[] {
    return this.certificates;
  }

  get defaultRoute(): RouteSpec | null {
    return this.defaultWinner?.route ?? null;
  }

  /** Takes a fragment out of the indexes; true when it claimed the default backend. */
  private forget(fragment: Fragment, hosts: Set<string>, tlsHosts: Set<string>): boolean {
    this.fragments.delete(fragment.ref);
    this.canaries.delete(fragment.ref);
    for (const key of fragment.reads) removeFrom(this.dependents, key, fragment.ref);
    for (const host of fragment.pathsByHost.keys()) {
      removeFrom(this.pathClaimants, host, fragment.ref);
      hosts.add(host);
    }
    for (const host of fragment.tlsByHost.keys()) {
      removeFrom(this.tlsClaimants, host, fragment.ref);
      tlsHosts.add(host);
    }
    for (const step of fragment.steps) if (step.type !== 'diagnostic') this.outcomes.delete(step);
    for (const key of fragment.backends.keys()) {
      removeFrom(this.definedBy, key, fragment.ref);
      if (!this.definedBy.has(key) && !this.useCount.has(key)) this.definitions.delete(key);
    }
    if (fragment.defaultStep === null) return false;
    this.defaultClaimants.delete(fragment.ref);
    return true;
  }

  private remember(fragment: Fragment, hosts: Set<string>, tlsHosts: Set<string>, services: Set<string>): boolean {
    this.fragments.set(fragment.ref, fragment);
    if (fragment.canary) this.canaries.add(fragment.ref);
    for (const key of fragment.reads) addTo(this.dependents, key, fragment.ref);
    for (const host of fragment.pathsByHost.keys()) {
      addTo(this.pathClaimants, host, fragment.ref);
      hosts.add(host);
    }
    for (const host of fragment.tlsByHost.keys()) {
      addTo(this.tlsClaimants, host, fragment.ref);
      tlsHosts.add(host);
    }
    // The same key always has the same definition for the same objects; a changed one is rebuilt below.
    for (const [key, definition] of fragment.backends) {
      addTo(this.definedBy, key, fragment.ref);
      const known = this.definitions.get(key);
      if (known === undefined || JSON.stringify(known) !== JSON.stringify(definition)) {
        this.definitions.set(key, definition);
        services.add(`${definition.namespace}/${definition.service}`);
      }
    }
    if (fragment.defaultStep === null) return false;
    this.defaultClaimants.add(fragment.ref);
    return true;
  }

  /** Served fragments of `refs`, in precedence order. */
  private byPrecedence(refs: Iterable<string>): Fragment[] {
    const list: Fragment[] = [];
    for (const ref of refs) {
      const fragment = this.fragments.get(ref);
      if (fragment?.served) list.push(fragment);
    }
    return list.sort((a, b) => compareIngressPrecedence(a.ingress as Ingress, b.ingress as Ingress));
  }

  private mergeHost(host: string, render: Set<string>, delta: TableDelta): void {
    const claimed = new Map<string, { route: RouteSpec; where: string }>();
    const routes: RouteSpec[] = [];
    for (const fragment of this.byPrecedence(this.pathClaimants.get(host) ?? [])) {
      render.add(fragment.ref);
      for (const step of fragment.pathsByHost.get(host)!) {
        const winner = claimed.get(step.conflictKey);
        if (winner !== undefined) {
          this.outcomes.set(step, { lost: winner });
          continue;
        }
        this.outcomes.set(step, null);
        if (step.route === null) continue;
        claimed.set(step.conflictKey, { route: step.route, where: step.where });
        routes.push(step.route);
      }
    }
    if (routes.length === 0) {
      if (this.routesByHost.delete(host)) {
        delta.removedHosts.add(host);
        this.hostOrder = null;
        this.served = null;
      }
      return;
    }
    if (!this.routesByHost.has(host)) this.hostOrder = null;
    this.routesByHost.set(host, sortRoutes(routes));
    this.served = null;
    delta.hosts.add(host);
  }

  private mergeTls(host: string, render: Set<string>): void {
    let winner: TlsStep | undefined;
    for (const fragment of this.byPrecedence(this.tlsClaimants.get(host) ?? [])) {
      render.add(fragment.ref);
      for (const step of fragment.tlsByHost.get(host)!) {
        if (winner === undefined) winner = step;
        this.outcomes.set(step, winner === step || winner.claim.secret === step.claim.secret ? null : { lostTls: winner.claim });
      }
    }
    if (winner === undefined) this.tlsWinners.delete(host);
    else this.tlsWinners.set(host, winner);
  }

  private mergeDefault(render: Set<string>, delta: TableDelta): void {
    let winner: DefaultStep | null = null;
    for (const fragment of this.byPrecedence(this.defaultClaimants)) {
      render.add(fragment.ref);
      const step = fragment.defaultStep!;
      this.outcomes.set(step, winner === null ? null : { lost: { route: winner.route!, where: winner.where } });
      if (winner === null && step.route !== null) winner = step;
    }
    if (winner?.route !== this.defaultWinner?.route) delta.defaultRoute = true;
    this.defaultWinner = winner;
    this.served = null;
  }

  /** Replays a fragment's steps with their outcomes: its diagnostics and the backends it uses. */
  private render(ref: string, services: Set<string>): void {
    const fragment = this.fragments.get(ref);
    const key = `Ingress\u0000${ref}`;
    const diagnostics: Diagnostic[] = [];
    const used = new Set<string>();
    if (fragment) {
      const push = (d: RecordedDiagnostic): number => diagnostics.push({ severity: d.severity, kind: 'Ingress', object: ref, field: d.field, message: d.message, reason: d.reason });
      for (const step of fragment.steps) {
        if (step.type === 'diagnostic') {
          push(step.diagnostic);
          continue;
        }
        const outcome = this.outcomes.get(step) ?? null;
        if (step.type === 'tls') {
          if (outcome !== null && 'lostTls' in outcome) push({ severity: 'warning', field: step.at, reason: 'TlsHostConflict', message: tlsConflictMessage(step.host, outcome.lostTls, step.claim.secret) });
          continue;
        }
        if (outcome !== null && 'lost' in outcome) {
          const message = step.type === 'path' ? pathConflictMessage(step.host, step.describe, outcome.lost) : defaultConflictMessage(outcome.lost.where);
          push({ severity: 'warning', field: step.at, reason: step.type === 'path' ? 'PathConflict' : 'DefaultBackendConflict', message });
          continue;
        }
        for (const d of step.diagnostics) push(d);
        if (step.route?.backend) used.add(step.route.backend);
      }
      if (fragment.served) for (const backend of fragment.unconditional) used.add(backend);
    }
    if (diagnostics.length > 0) this.diagnostics.set(key, diagnostics);
    else this.diagnostics.delete(key);

    const before = this.used.get(ref) ?? new Set<string>();
    for (const backend of before) if (!used.has(backend)) this.release(backend, services);
    for (const backend of used) if (!before.has(backend)) this.retain(backend, services);
    if (used.size > 0) this.used.set(ref, used);
    else this.used.delete(ref);
  }

  private retain(key: string, services: Set<string>): void {
    const count = (this.useCount.get(key) ?? 0) + 1;
    this.useCount.set(key, count);
    if (count > 1) return;
    const definition = this.definitions.get(key)!;
    const service = `${definition.namespace}/${definition.service}`;
    addTo(this.keysOfService, service, key);
    services.add(service);
  }

  private release(key: string, services: Set<string>): void {
    const count = (this.useCount.get(key) ?? 0) - 1;
    if (count > 0) {
      this.useCount.set(key, count);
      return;
    }
    this.useCount.delete(key);
    const definition = this.definitions.get(key)!;
    const service = `${definition.namespace}/${definition.service}`;
    removeFrom(this.keysOfService, service, key);
    services.add(service);
  }

  /** Rebuilds the backends of Services whose slices, definitions or use changed, and their slices' diagnostics. */
  private *refreshBackends(services: Set<string>, delta: TableDelta): Generator<void, void, void> {
    for (const service of services) {
      yield;
      const keys = this.keysOfService.get(service);
      const slices = this.index.slicesOf(service);
      for (const { ref, read } of slices) {
        const key = `EndpointSlice\u0000${ref}`;
        if (keys !== undefined && read.diagnostics.length > 0) this.diagnostics.set(key, read.diagnostics);
        else this.diagnostics.delete(key);
      }
      const views = slices.flatMap(({ read }) => (read.view === null ? [] : [read.view]));
      for (const key of keys ?? []) {
        const spec = backendSpec(this.definitions.get(key)!, views);
        if (JSON.stringify(spec) === JSON.stringify(this.backends.get(key))) continue;
        this.backends.set(key, spec);
        delta.backends.add(key);
      }
    }
    // Backends no longer used by anyone.
    for (const key of this.backends.keys()) {
      if (this.useCount.has(key)) continue;
      this.backends.delete(key);
      delta.removedBackends.add(key);
    }
    for (const key of this.definitions.keys()) if (!this.useCount.has(key) && !this.definedBy.has(key)) this.definitions.delete(key);
  }

  private refreshCertificates(delta: TableDelta): void {
    if (delta.certificates) {
      const claims: [string, Claim][] = [...this.tlsWinners].map(([host, step]) => [host, step.claim]);
      const pems = new Map([...this.tlsWinners.values()].map((step) => [step.claim.secret, step]));
      this.certificates = certificateSpecs(claims, (secret) => {
        const step = pems.get(secret);
        return step && { ok: true, certPem: step.certPem, keyPem: step.keyPem, certificate: undefined as never };
      });
    }
    const ref = this.options.defaultCertificate;
    if (ref === null) return;
    const sink = new DiagnosticSink();
    const before = this.defaultCertificate;
    this.defaultCertificate = new CertificateSet(this.index).operatorDefault(ref, sink.for('Secret', ref));
    const diagnostics = sink.sorted();
    if (diagnostics.length > 0) this.diagnostics.set(`Secret\u0000${ref}`, diagnostics);
    else this.diagnostics.delete(`Secret\u0000${ref}`);
    if (before?.certPem !== this.defaultCertificate?.certPem || before?.keyPem !== this.defaultCertificate?.keyPem) delta.certificates = true;
  }
}
