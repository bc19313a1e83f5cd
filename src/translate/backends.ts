// An Ingress backend -> a BackendSpec: the Service (same namespace as the Ingress), its port by
// number or name, the upstream protocol and the endpoints behind that port.
//
// A backend whose shape is invalid (no service, both port number and name, a resource backend)
// drops its path. A well-formed backend whose Service or port does not exist keeps its path with
// no backend, answered with 503 (as ingress-nginx does), so that requests do not silently fall
// through to a shorter path of another service.
import type { BackendProtocol, BackendSpec } from '../routing/spec.ts';
import { resolveBackendTls, type BackendTlsRequest } from './backend-tls.ts';
import type { ClusterIndex, Lookups } from './cluster-index.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';
import { selectEndpoints, type SliceView } from './endpoints.ts';
import { protocolFromAppProtocol } from './protocol.ts';
import { arrayField, field, isRecord, isUnset, stringField } from './shape.ts';

/** `route: false`: the path is not served. Otherwise `backend` is a key of the table's backends, or null (503). */
export type BackendRef = { route: false } | { route: true; backend: string | null };

const SKIP = { route: false } as const;
const UNRESOLVED = { route: true, backend: null } as const;

interface ServicePortView {
  name: string;
  port: number;
  appProtocol: unknown;
}

function servicePorts(service: unknown): ServicePortView[] {
  const ports: ServicePortView[] = [];
  for (const p of arrayField(field(service, 'spec'), 'ports')) {
    const port = field(p, 'port');
    if (typeof port === 'number') ports.push({ name: stringField(p, 'name') ?? '', port, appProtocol: field(p, 'appProtocol') });
  }
  return ports;
}

function describePorts(ports: readonly ServicePortView[]): string {
  if (ports.length === 0) return 'it has no ports';
  return `it has ${ports.map((p) => (p.name ? `${p.port} (${p.name})` : String(p.port))).join(', ')}`;
}

function isPortNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** A backend as resolved from an Ingress, without its endpoints (those come from the EndpointSlices). */
export interface BackendDefinition extends Omit<BackendSpec, 'endpoints'> {
  /** Name of the Service port ("" when unnamed): EndpointSlice ports are matched by it. */
  portName: string;
}

/** `route: false`: the path is not served. Otherwise `backend` is a key of the table's backends, or null (503). */
export type ResolvedBackend = { route: false } | { route: true; backend: null } | { route: true; backend: string; definition: BackendDefinition };

/** Where translateIngress() resolves backends: the full translation's resolver or the incremental recorder. */
export interface BackendSink {
  /** `at` is the field path of the backend, e.g. "spec.rules[0].http.paths[1].backend". */
  resolve(namespace: string, backend: unknown, at: string, protocolOverride: BackendProtocol | null, diag: ObjectDiagnostics, tlsRequest?: BackendTlsRequest | null): BackendRef;
  /**
   * Whether a resolved backend has a usable endpoint; only the full translation knows (ingress-nginx's
   * default-backend needs it, and Ingresses using it are translated in full: see NginxView).
   */
  hasEndpoints?(key: string): boolean;
}

/** The endpoints of a resolved backend, from the usable EndpointSlices of its Service. */
export function backendSpec(definition: BackendDefinition, slices: readonly SliceView[]): BackendSpec {
  const { key, namespace, service, servicePort, protocol, tls, portName } = definition;
  const endpoints = selectEndpoints(slices, portName);
  return tls === undefined ? { key, namespace, service, servicePort, protocol, endpoints } : { key, namespace, service, servicePort, protocol, endpoints, tls };
}

/** An Ingress-style backend -> its key and definition, reporting problems through diag. Pure. */
export function resolveBackend(index: Lookups, namespace: string, backend: unknown, at: string, protocolOverride: BackendProtocol | null, diag: ObjectDiagnostics, tlsRequest: BackendTlsRequest | null): ResolvedBackend {
  if (!isRecord(backend)) {
    diag.error(at, 'InvalidBackend', 'a backend is required');
    return SKIP;
  }
  const service = backend.service;
  const resource = backend.resource;
  if (!isUnset(service) && !isUnset(resource)) {
    diag.error(at, 'InvalidBackend', 'cannot set both resource and service backends; this path is not served');
    return SKIP;
  }
  if (!isUnset(resource)) {
    const kind = stringField(resource, 'kind') ?? 'unknown kind';
    diag.warning(`${at}.resource`, 'UnsupportedBackend', `resource backends (${kind}) are not supported, only Service backends; this path is not served`);
    return SKIP;
  }
  const name = stringField(service, 'name');
  if (!isRecord(service) || !name) {
    diag.error(`${at}.service.name`, 'InvalidBackend', 'a Service name is required; this path is not served');
    return SKIP;
  }
  const port = service.port;
  const number = field(port, 'number');
  const portName = field(port, 'name');
  const hasNumber = !isUnset(number) && number !== 0;
  const hasName = !isUnset(portName);
  if (hasNumber && hasName) {
    diag.error(`${at}.service.port`, 'InvalidBackend', 'cannot set both port name and port number; this path is not served');
    return SKIP;
  }
  if (hasNumber && !isPortNumber(number)) {
    diag.error(`${at}.service.port.number`, 'InvalidBackend', `invalid port number ${JSON.stringify(number)}: must be from 1 to 65535; this path is not served`);
    return SKIP;
  }
  if (hasName && typeof portName !== 'string') {
    diag.error(`${at}.service.port.name`, 'InvalidBackend', `invalid port name ${JSON.stringify(portName)}: must be a string; this path is not served`);
    return SKIP;
  }
  if (!hasNumber && !hasName) {
    diag.error(`${at}.service.port`, 'InvalidBackend', 'a port name or number is required; this path is not served');
    return SKIP;
  }

  const ref = `${namespace}/${name}`;
  const svc = index.service(namespace, name);
  if (svc === undefined) {
    diag.error(`${at}.service.name`, 'ServiceNotFound', `Service ${ref} not found`);
    return UNRESOLVED;
  }
  if (field(svc.spec, 'type') === 'ExternalName') {
    diag.error(`${at}.service.name`, 'UnsupportedBackend', `Service ${ref} is of type ExternalName, which is not supported (Tideway proxies to EndpointSlice endpoints only); answered with 503`);
    return UNRESOLVED;
  }
  const ports = servicePorts(svc);
  const servicePort = hasNumber ? ports.find((p) => p.port === number) : ports.find((p) => p.name === portName);
  if (servicePort === undefined) {
    const what = hasNumber ? `no port ${String(number)}` : `no port named ${JSON.stringify(portName)}`;
    diag.error(`${at}.service.port.${hasNumber ? 'number' : 'name'}`, 'PortNotFound', `Service ${ref} has ${what} (${describePorts(ports)})`);
    return UNRESOLVED;
  }

  // With an override, the same Service port can be reached with two protocols from two Ingresses:
  // the protocol is then part of the key so that each gets its own backend (and connection pool).
  const protocol = protocolOverride ?? protocolFromAppProtocol(servicePort.appProtocol);
  const tls = resolveBackendTls(tlsRequest, protocol, namespace, name, index, diag);
  if (tls === 'invalid') return UNRESOLVED;
  // Verified and unverified connections to the same port never share a backend (or a pool).
  const verified = tls === null ? '' : `+verify=${tls.caSecret}@${tls.serverName}${tls.clientCertificate === undefined ? '' : `+client=${tls.clientCertificate.secret}`}`;
  const key = `${ref}:${String(hasNumber ? number : portName)}${protocolOverride === null ? '' : `/${protocolOverride}`}${verified}`;
  const definition: BackendDefinition = {
    key, namespace, service: name, servicePort: servicePort.port, protocol, portName: servicePort.name,
    ...(tls === null ? {} : { tls }),
  };
  return { route: true, backend: key, definition };
}

/** The full translation's resolver: each backend's spec is built once, on first use. */
export class BackendResolver implements BackendSink {
  private readonly index: ClusterIndex;
  private readonly specs = new Map<string, BackendSpec>();

  constructor(index: ClusterIndex) {
    this.index = index;
  }

  /** Whether the backend `key` (as resolve() returned it) has a usable endpoint. */
  hasEndpoints(key: string): boolean {
    return (this.specs.get(key)?.endpoints.length ?? 0) > 0;
  }

  /** The backends routes refer to, sorted by key. */
  backends(): Record<string, BackendSpec> {
    const out: Record<string, BackendSpec> = {};
    for (const key of [...this.specs.keys()].sort()) out[key] = this.specs.get(key)!;
    return out;
  }

  /** The backend of a key resolve() returned. */
  spec(key: string): BackendSpec | undefined {
    return this.specs.get(key);
  }

  resolve(namespace: string, backend: unknown, at: string, protocolOverride: BackendProtocol | null, diag: ObjectDiagnostics, tlsRequest: BackendTlsRequest | null = null): BackendRef {
    const resolved = resolveBackend(this.index, namespace, backend, at, protocolOverride, diag, tlsRequest);
    if (!resolved.route || resolved.backend === null) return resolved;
    const { definition } = resolved;
    if (!this.specs.has(definition.key)) this.specs.set(definition.key, backendSpec(definition, this.index.slicesOf(definition.namespace, definition.service)));
    return { route: true, backend: definition.key };
  }
}
