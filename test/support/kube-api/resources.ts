// The API resources the test server serves, described as the real API server's discovery does.
// Several resources may share one storage (core/v1 and events.k8s.io/v1 Events are two views of the
// same objects, as on a real cluster); `toView`/`fromView` convert between the stored form and a view.

export type JsonObject = Record<string, any>;

export interface ResourceDef {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Key of the shared object storage; resources with the same storage see the same objects. */
  storage: string;
  /** Has a /status subresource: the main endpoint ignores status changes, /status ignores everything else. */
  statusSubresource: boolean;
  /** DELETE answers the deleted object instead of a Status (Services, custom resources). */
  deleteReturnsObject: boolean;
  /** Fields usable in fieldSelector besides metadata.name and metadata.namespace. */
  extraFieldLabels: readonly string[];
  /** List items carry kind/apiVersion only for custom resources; built-in lists omit them. */
  itemsCarryTypeMeta: boolean;
  /** Updates without metadata.resourceVersion are rejected with 422 (Lease), instead of applied unconditionally. */
  requiresResourceVersionOnUpdate: boolean;
  /** MicroTime fields (paths in the stored form): the server only parses 6 fractional digits. */
  microTimeFields: readonly string[];
  /** Custom resource served only while its CustomResourceDefinition is installed. */
  crd: boolean;
  toView?: (stored: JsonObject) => JsonObject;
  fromView?: (view: JsonObject) => JsonObject;
  /** Extra validation on create (field errors), beyond names. */
  validateCreate?: (obj: JsonObject, policy: ValidationPolicy) => FieldError[];
  /** Defaults the real server fills in on create. */
  defaultOnCreate?: (obj: JsonObject, allocate: () => number) => void;
}

/** Where a test deliberately asks the server to be laxer than a real one. */
export interface ValidationPolicy {
  /**
   * Accept EndpointSlice addresses in 127.0.0.0/8 and ::1. A real API server refuses them, but tests
   * that proxy to real backends on this machine can only point endpoints at loopback addresses.
   */
  acceptLoopbackEndpoints: boolean;
}

export interface FieldError {
  field: string;
  value: unknown;
  /** How the real server prints the value when it is not plain JSON (e.g. "0x0"). */
  valueText?: string;
  message: string;
  reason?: 'FieldValueInvalid' | 'FieldValueRequired';
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** "ingresses.networking.k8s.io" or "services": the resource name the real server puts in messages. */
export function qualifiedResource(def: ResourceDef): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

function resource(partial: Partial<ResourceDef> & Pick<ResourceDef, 'group' | 'version' | 'plural' | 'kind' | 'namespaced'>): ResourceDef {
  return {
    storage: partial.plural,
    statusSubresource: false,
    deleteReturnsObject: false,
    extraFieldLabels: [],
    itemsCarryTypeMeta: false,
    requiresResourceVersionOnUpdate: false,
    microTimeFields: [],
    crd: false,
    ...partial,
  };
}

const EVENT_FIELD_LABELS = [
  'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
  'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
  'reason', 'reportingComponent', 'type',
];

// events.k8s.io/v1 renames core/v1 Event fields; the pairs below are [core, events.k8s.io].
const EVENT_FIELD_RENAMES: readonly [string, string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

function renameFields(obj: JsonObject, pairs: readonly [string, string][], apiVersion: string): JsonObject {
  const out: JsonObject = { ...obj, apiVersion, kind: 'Event' };
  for (const [from, to] of pairs) {
    delete out[from];
    if (obj[from] !== undefined) out[to] = obj[from];
  }
  return out;
}

const swapped = EVENT_FIELD_RENAMES.map(([a, b]) => [b, a] as [string, string]);

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1';
}

export const RESOURCES: readonly ResourceDef[] = [
  resource({
    group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true,
    statusSubresource: true, deleteReturnsObject: true,
    defaultOnCreate(obj, allocate) {
      const spec = (obj.spec ??= {});
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.type !== 'ExternalName' && spec.clusterIP === undefined) {
        const n = allocate();
        spec.clusterIP = `10.96.${(n >> 8) & 255}.${n & 255}`;
        spec.clusterIPs = [spec.clusterIP];
      }
      for (const port of spec.ports ?? []) {
        port.protocol ??= 'TCP';
        port.targetPort ??= port.port;
      }
    },
  }),
  resource({
    group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, extraFieldLabels: ['type'],
    defaultOnCreate(obj) {
      obj.type ??= 'Opaque';
      if (obj.stringData) {
        obj.data ??= {};
        for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v)).toString('base64');
        delete obj.stringData;
      }
    },
  }),
  resource({ group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true }),
  resource({
    group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, statusSubresource: true, deleteReturnsObject: true,
    // The real server labels every namespace with its own name (and keeps the label so).
    defaultOnCreate(obj) {
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
    },
  }),
  resource({ group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, extraFieldLabels: EVENT_FIELD_LABELS, microTimeFields: ['eventTime'] }),
  resource({
    group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, storage: 'events',
    microTimeFields: ['eventTime'],
    toView: (stored) => renameFields(stored, EVENT_FIELD_RENAMES, 'events.k8s.io/v1'),
    fromView: (view) => renameFields(view, swapped, 'v1'),
    validateCreate(obj) {
      const errors: FieldError[] = [];
      // Checked on the stored (core) form: reportingController is stored as reportingComponent.
      if (!obj.eventTime) errors.push({ field: 'eventTime', value: null, message: 'Required value', reason: 'FieldValueRequired' });
      if (!obj.reportingComponent) errors.push({ field: 'reportingController', value: '', message: 'Required value', reason: 'FieldValueRequired' });
      if (!obj.reportingInstance) errors.push({ field: 'reportingInstance', value: '', message: 'Required value', reason: 'FieldValueRequired' });
      if (!obj.action) errors.push({ field: 'action', value: '', message: 'Required value', reason: 'FieldValueRequired' });
      return errors;
    },
  }),
  resource({ group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', kind: 'Ingress', namespaced: true, statusSubresource: true }),
  resource({ group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', kind: 'IngressClass', namespaced: false }),
  resource({
    group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true,
    validateCreate(obj, policy) {
      const errors: FieldError[] = [];
      if (!obj.addressType) errors.push({ field: 'addressType', value: '', message: 'Required value', reason: 'FieldValueRequired' });
      (obj.endpoints ?? []).forEach((ep: JsonObject, i: number) => {
        (ep.addresses ?? []).forEach((address: string, j: number) => {
          if (isLoopback(address) && !policy.acceptLoopbackEndpoints) {
            errors.push({ field: `endpoints[${i}].addresses[${j}]`, value: address, message: 'may not be in the loopback range (127.0.0.0/8, ::1/128)' });
          }
        });
      });
      return errors;
    },
  }),
  resource({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true,
    requiresResourceVersionOnUpdate: true, microTimeFields: ['spec.acquireTime', 'spec.renewTime'] }),
  resource({
    group: 'tideway.dev', version: 'v1alpha1', plural: 'middlewares', kind: 'Middleware', namespaced: true,
    crd: true, itemsCarryTypeMeta: true, deleteReturnsObject: true,
  }),
  ...gatewayApiResources(),
];

/** The Gateway API v1.6 standard channel: v1 for every kind, and the v1beta1 views its CRDs still serve. */
function gatewayApiResources(): ResourceDef[] {
  const kinds: [string, string, boolean, boolean][] = [
    // kind, plural, namespaced, also served as v1beta1
    ['GatewayClass', 'gatewayclasses', false, true],
    ['Gateway', 'gateways', true, true],
    ['HTTPRoute', 'httproutes', true, true],
    ['GRPCRoute', 'grpcroutes', true, false],
    ['ReferenceGrant', 'referencegrants', true, true],
    ['BackendTLSPolicy', 'backendtlspolicies', true, false],
    ['ListenerSet', 'listenersets', true, false],
  ];
  const group = 'gateway.networking.k8s.io';
  return kinds.flatMap(([kind, plural, namespaced, beta]) => (beta ? ['v1', 'v1beta1'] : ['v1']).map((version) => resource({
    group, version, plural, kind, namespaced, storage: plural,
    crd: true, itemsCarryTypeMeta: true, deleteReturnsObject: true,
    statusSubresource: kind !== 'ReferenceGrant',
    // Both versions share one storage; each view carries its own apiVersion.
    toView: (stored) => ({ ...stored, apiVersion: `${group}/${version}` }),
    fromView: (view) => ({ ...view, apiVersion: `${group}/v1` }),
  })));
}

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}
