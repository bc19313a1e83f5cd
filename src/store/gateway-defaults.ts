// The defaults the Gateway API CRD schemas (v1.6 standard channel) declare, applied to objects read from
// manifest files so that they reach translate() exactly as the API server would have stored them: a rule
// without matches matches path prefix "/", a match with only headers gets that path too, a backendRef
// weighs 1, a parentRef names a Gateway, a listener allows routes of its own namespace, and so on.
// Objects from the API server already carry these values; applying them again changes nothing.
//
// Only well-shaped places are filled in: a field of the wrong type is left for translate() to report.

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** Sets record[key] = value when the key is absent (null counts as absent, as in YAML "key:"). */
function fill(record: Json, key: string, value: unknown): void {
  if (record[key] === undefined || record[key] === null) record[key] = value;
}

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

function defaultParentRefs(spec: Json): void {
  for (const ref of records(spec.parentRefs)) {
    fill(ref, 'group', GATEWAY_GROUP);
    fill(ref, 'kind', 'Gateway');
  }
}

function defaultBackendRef(ref: Json): void {
  fill(ref, 'group', '');
  fill(ref, 'kind', 'Service');
}

function defaultFilters(filters: unknown): void {
  for (const filter of records(filters)) {
    const mirror = filter.requestMirror;
    if (isRecord(mirror)) {
      if (isRecord(mirror.backendRef)) defaultBackendRef(mirror.backendRef);
      if (isRecord(mirror.fraction)) fill(mirror.fraction, 'denominator', 100);
    }
    if (isRecord(filter.requestRedirect)) fill(filter.requestRedirect, 'statusCode', 302);
    if (isRecord(filter.cors)) fill(filter.cors, 'maxAge', 5);
  }
}

function defaultBackendRefs(refs: unknown): void {
  for (const ref of records(refs)) {
    defaultBackendRef(ref);
    fill(ref, 'weight', 1);
    defaultFilters(ref.filters);
  }
}

function defaultHeaderMatches(matches: unknown): void {
  for (const match of records(matches)) fill(match, 'type', 'Exact');
}

function defaultHttpRoute(spec: Json): void {
  defaultParentRefs(spec);
  fill(spec, 'rules', [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]);
  for (const rule of records(spec.rules)) {
    fill(rule, 'matches', [{ path: { type: 'PathPrefix', value: '/' } }]);
    for (const match of records(rule.matches)) {
      fill(match, 'path', { type: 'PathPrefix', value: '/' });
      if (isRecord(match.path)) {
        fill(match.path, 'type', 'PathPrefix');
        fill(match.path, 'value', '/');
      }
      defaultHeaderMatches(match.headers);
      defaultHeaderMatches(match.queryParams);
    }
    defaultFilters(rule.filters);
    defaultBackendRefs(rule.backendRefs);
  }
}

function defaultGrpcRoute(spec: Json): void {
  defaultParentRefs(spec);
  for (const rule of records(spec.rules)) {
    for (const match of records(rule.matches)) {
      if (isRecord(match.method)) fill(match.method, 'type', 'Exact');
      defaultHeaderMatches(match.headers);
    }
    defaultFilters(rule.filters);
    defaultBackendRefs(rule.backendRefs);
  }
}

function defaultListeners(listeners: unknown): void {
  for (const listener of records(listeners)) {
    fill(listener, 'allowedRoutes', { namespaces: { from: 'Same' } });
    const allowed = listener.allowedRoutes;
    if (isRecord(allowed)) {
      fill(allowed, 'namespaces', { from: 'Same' });
      if (isRecord(allowed.namespaces)) fill(allowed.namespaces, 'from', 'Same');
      for (const kind of records(allowed.kinds)) fill(kind, 'group', GATEWAY_GROUP);
    }
    const tls = listener.tls;
    if (isRecord(tls)) {
      fill(tls, 'mode', 'Terminate');
      for (const ref of records(tls.certificateRefs)) {
        fill(ref, 'group', '');
        fill(ref, 'kind', 'Secret');
      }
    }
  }
}

function defaultGateway(spec: Json): void {
  defaultListeners(spec.listeners);
  for (const address of records(spec.addresses)) fill(address, 'type', 'IPAddress');
  if (isRecord(spec.allowedListeners)) {
    fill(spec.allowedListeners, 'namespaces', { from: 'None' });
    if (isRecord(spec.allowedListeners.namespaces)) fill(spec.allowedListeners.namespaces, 'from', 'None');
  }
}

function defaultListenerSet(spec: Json): void {
  defaultListeners(spec.listeners);
  if (isRecord(spec.parentRef)) {
    fill(spec.parentRef, 'group', GATEWAY_GROUP);
    fill(spec.parentRef, 'kind', 'Gateway');
  }
}

const BY_KIND: Record<string, (spec: Json) => void> = {
  HTTPRoute: defaultHttpRoute,
  GRPCRoute: defaultGrpcRoute,
  Gateway: defaultGateway,
  ListenerSet: defaultListenerSet,
};

/** Fills in the schema defaults of a Gateway API object's spec, in place (on normalize's own copy). */
export function applyGatewayApiDefaults(kind: string, object: Json): void {
  const apply = BY_KIND[kind];
  if (apply === undefined) return;
  if (kind === 'HTTPRoute' && (object.spec === undefined || object.spec === null)) object.spec = {};
  if (isRecord(object.spec)) apply(object.spec);
}
