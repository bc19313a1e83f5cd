// Gateways of Tideway's GatewayClasses -> the listeners routes may attach to. Contract (DESIGN.md,
// "Gateway API"): a listener on port 80 is served on --http-port, one on 443 on --https-port, and a
// listener on any other port is bound as written (plain HTTP, or HTTPS with the certificates of every
// HTTPS listener, chosen by SNI). A listener that is not usable (bad protocol, conflict, broken
// certificate) takes no routes. ListenerSets (listener-sets.ts) add listeners to a Gateway through the
// same reader, after the Gateway's own: conflicts are settled in that order of precedence.
import { GATEWAY_CONTROLLER_NAME } from '../../kube/constants.ts';
import type { Gateway, GatewayClass, ListenerSet } from '../../kube/types.ts';
import type { CertificateSet } from '../tls.ts';
import type { DiagnosticSink, ObjectDiagnostics } from '../diagnostics.ts';
import { checkHost } from '../hosts.ts';
import { namespaceOf } from '../precedence.ts';
import { arrayField, field, isRecord, stringField } from '../shape.ts';
import type { ReferenceGrants } from './grants.ts';
import { readNamespaceFilter, type NamespaceFilter, type NamespaceFrom } from './namespaces.ts';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute'];
const ROUTE_FROM: readonly NamespaceFrom[] = ['Same', 'All', 'Selector'];
const NO_NAMESPACE: NamespaceFilter = { from: 'None' };

/** The object a listener is written in: its status lists the listener, its parentRef selects it. */
export interface ListenerOwner {
  kind: 'Gateway' | 'ListenerSet';
  /** "namespace/name". */
  ref: string;
}

export interface Listener {
  /** "namespace/name" of the Gateway. */
  gateway: string;
  owner: ListenerOwner;
  /** The owner's namespace (allowedRoutes `Same`). */
  namespace: string;
  name: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  /** Lower-case hostname, or null for any. */
  hostname: string | null;
  /** Namespaces whose routes may attach (allowedRoutes.namespaces). */
  namespaces: NamespaceFilter;
  /** Route kinds allowed (group gateway.networking.k8s.io). */
  kinds: readonly string[];
  /** False when the listener takes no routes (reported on the Gateway). */
  usable: boolean;
  /** What is wrong with it, by the status condition it turns False (or True, for Conflicted). */
  problems: ListenerProblem[];
  /** Routes attached to it (status.listeners[].attachedRoutes), counted by the route translation. */
  attachedRoutes: number;
}

export interface ListenerProblem {
  condition: 'Accepted' | 'ResolvedRefs' | 'Conflicted';
  reason: string;
  message: string;
}

export interface GatewayView {
  gateway: Gateway;
  ref: string;
  /** Its own listeners, then those of the ListenerSets attached to it, in precedence order. */
  listeners: Listener[];
  /** ListenerSets naming it as parent (attached or refused), filled in by listener-sets.ts. */
  listenerSets: ListenerSetView[];
  /** Reads the listeners of its ListenerSets against its own (conflicts). */
  reader: ListenerReader;
  /** Some HTTPS listener accepts clients without a valid certificate (InsecureFrontendValidationMode). */
  insecureFrontend: boolean;
}

export interface ListenerSetView {
  set: ListenerSet;
  ref: string;
  parent: GatewayView;
  listeners: Listener[];
  /** Why the Gateway does not take it (Accepted=False); null: attached. */
  refusal: { reason: string; message: string } | null;
}

export function isOurClass(gatewayClass: GatewayClass): boolean {
  return field(gatewayClass.spec, 'controllerName') === GATEWAY_CONTROLLER_NAME;
}

function readKinds(listener: unknown, at: string, diag: ObjectDiagnostics, problems: ListenerProblem[]): string[] {
  const kinds = arrayField(field(listener, 'allowedRoutes'), 'kinds');
  if (kinds.length === 0) return ROUTE_KINDS;
  const out: string[] = [];
  kinds.forEach((k, i) => {
    const kind = stringField(k, 'kind');
    const group = stringField(k, 'group') ?? GATEWAY_GROUP;
    if (group === GATEWAY_GROUP && kind !== undefined && ROUTE_KINDS.includes(kind)) out.push(kind);
    else {
      const message = `route kind ${group}/${kind ?? '?'} is not supported (only HTTPRoute and GRPCRoute)`;
      diag.warning(`${at}.allowedRoutes.kinds[${i}]`, 'InvalidRouteKinds', message);
      problems.push({ condition: 'ResolvedRefs', reason: 'InvalidRouteKinds', message });
    }
  });
  return out;
}

/**
 * Reads the listeners of one Gateway and of its ListenerSets, in precedence order: a listener with the
 * port and hostname of an earlier one is Conflicted. HTTPS listeners' Secrets go to `certificates`.
 */
export class ListenerReader {
  private readonly seen = new Map<string, string>();
  private readonly gatewayRef: string;
  private readonly certificates: CertificateSet;
  private readonly grants: ReferenceGrants;

  constructor(gatewayRef: string, certificates: CertificateSet, grants: ReferenceGrants) {
    this.gatewayRef = gatewayRef;
    this.certificates = certificates;
    this.grants = grants;
  }

  /** The listeners of `spec.listeners` of `owner`, its problems reported on it. */
  readAll(owner: ListenerOwner, spec: unknown, diag: ObjectDiagnostics): Listener[] {
    const listeners: Listener[] = [];
    arrayField(spec, 'listeners').forEach((raw, i) => {
      const listener = this.read(owner, raw, i, diag);
      if (listener !== null) listeners.push(listener);
    });
    return listeners;
  }

  private read(owner: ListenerOwner, raw: unknown, i: number, diag: ObjectDiagnostics): Listener | null {
    const at = `spec.listeners[${i}]`;
    if (!isRecord(raw)) {
      diag.error(at, 'Invalid', 'a listener must be an object');
      return null;
    }
    const namespace = owner.ref.slice(0, owner.ref.indexOf('/'));
    const name = stringField(raw, 'name') ?? `#${i}`;
    const port = raw.port;
    const protocol = raw.protocol;
    let usable = true;
    const problems: ListenerProblem[] = [];
    const fail = (condition: ListenerProblem['condition'], where: string, reason: string, message: string): void => {
      diag.error(where, reason, message);
      problems.push({ condition, reason, message });
      usable = false;
    };
    let hostname: string | null = null;
    if (typeof raw.hostname === 'string' && raw.hostname !== '') {
      const check = checkHost(raw.hostname);
      if (check.ok) hostname = check.host;
      else fail('Accepted', `${at}.hostname`, 'UnsupportedValue', `${check.message}; listener ${name} takes no routes`);
    }
    if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
      fail('Accepted', `${at}.protocol`, 'UnsupportedProtocol', `protocol ${JSON.stringify(protocol)} is not supported (HTTP and HTTPS are); listener ${name} takes no routes`);
    } else if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      fail('Accepted', `${at}.port`, 'PortUnavailable', `port ${JSON.stringify(port)} is not a port number; listener ${name} takes no routes`);
    } else if (port === 80 && protocol !== 'HTTP') {
      fail('Accepted', `${at}.protocol`, 'UnsupportedProtocol', `protocol ${protocol} on port 80: port 80 (--http-port) serves plain HTTP; listener ${name} takes no routes`);
    } else if (port === 443 && protocol !== 'HTTPS') {
      fail('Accepted', `${at}.protocol`, 'UnsupportedProtocol', `protocol ${protocol} on port 443: port 443 (--https-port) serves HTTPS; listener ${name} takes no routes`);
    }
    const key = `${String(port)}\u0000${hostname ?? ''}`;
    const clash = this.seen.get(key);
    if (clash !== undefined) {
      fail('Conflicted', `${at}.hostname`, 'HostnameConflict', `listener ${name} has the same port and hostname as listener ${clash}; it is Conflicted and takes no routes`);
    } else this.seen.set(key, owner.kind === 'Gateway' ? name : `${name} of ListenerSet ${owner.ref}`);
    const filter = readNamespaceFilter(field(raw.allowedRoutes, 'namespaces'), ROUTE_FROM, 'Same');
    if ('field' in filter) fail('Accepted', `${at}.allowedRoutes.namespaces${filter.field}`, 'UnsupportedValue', `${filter.message}; listener ${name} takes no routes`);
    const kinds = readKinds(raw, at, diag, problems);
    if (usable && protocol === 'HTTPS') usable = this.readCertificates(raw, at, name, owner, hostname, diag, problems);
    return {
      gateway: this.gatewayRef, owner, namespace, name, port: typeof port === 'number' ? port : 0, protocol: protocol === 'HTTPS' ? 'HTTPS' : 'HTTP', hostname,
      namespaces: 'field' in filter ? NO_NAMESPACE : filter, kinds, usable, problems, attachedRoutes: 0,
    };
  }

  private readCertificates(raw: Record<string, unknown>, at: string, name: string, owner: ListenerOwner, hostname: string | null,
    diag: ObjectDiagnostics, problems: ListenerProblem[]): boolean {
    const namespace = owner.ref.slice(0, owner.ref.indexOf('/'));
    const report = (condition: ListenerProblem['condition'], where: string, reason: string, message: string): void => {
      diag.error(where, reason, message);
      problems.push({ condition, reason, message });
    };
    const tls = raw.tls;
    const mode = field(tls, 'mode') ?? 'Terminate';
    if (mode !== 'Terminate') {
      report('Accepted', `${at}.tls.mode`, 'UnsupportedValue', `TLS mode ${JSON.stringify(mode)} is not supported (Terminate is); listener ${name} takes no routes`);
      return false;
    }
    const refs = arrayField(tls, 'certificateRefs');
    if (refs.length === 0) {
      report('ResolvedRefs', `${at}.tls.certificateRefs`, 'InvalidCertificateRef', `an HTTPS listener needs a certificateRef; listener ${name} takes no routes`);
      return false;
    }
    let usable = false;
    refs.forEach((ref, j) => {
      const refAt = `${at}.tls.certificateRefs[${j}]`;
      const group = stringField(ref, 'group') ?? '';
      const kind = stringField(ref, 'kind') ?? 'Secret';
      const secretName = stringField(ref, 'name');
      const secretNamespace = stringField(ref, 'namespace') ?? namespace;
      if (group !== '' || kind !== 'Secret' || secretName === undefined) {
        report('ResolvedRefs', refAt, 'InvalidCertificateRef', `only core Secrets are supported as certificates, not ${group}/${kind}`);
        return;
      }
      if (!this.grants.allows({ fromGroup: GATEWAY_GROUP, fromKind: owner.kind, fromNamespace: namespace, toGroup: '', toKind: 'Secret', toNamespace: secretNamespace, toName: secretName })) {
        report('ResolvedRefs', refAt, 'RefNotPermitted', `Secret ${secretNamespace}/${secretName} is in another namespace and no ReferenceGrant there allows ${owner.kind}s of ${namespace} to use it`);
        return;
      }
      const problem = this.certificates.addListenerCertificate(secretNamespace, secretName, hostname ?? '', `${owner.kind} ${owner.ref} ${at}`);
      if (problem !== null) report('ResolvedRefs', refAt, problem.reason, `${problem.message}; listener ${name} cannot use it`);
      else usable = true;
    });
    return usable;
  }
}

/** The Gateways of `classes` (ours), each with its own listeners read (ListenerSets come next). */
export function readOurGateways(classes: readonly GatewayClass[], gateways: readonly Gateway[], certificates: CertificateSet, grants: ReferenceGrants, sink: DiagnosticSink): GatewayView[] {
  const ours = new Set(classes.map((c) => c.metadata.name));
  return gateways
    .filter((g) => ours.has(stringField(g.spec, 'gatewayClassName') ?? ''))
    .map((gateway) => {
      const ref = `${namespaceOf(gateway)}/${gateway.metadata.name}`;
      const reader = new ListenerReader(ref, certificates, grants);
      const listeners = reader.readAll({ kind: 'Gateway', ref }, gateway.spec, sink.for('Gateway', ref));
      return { gateway, ref, listeners, listenerSets: [], reader, insecureFrontend: false };
    });
}
