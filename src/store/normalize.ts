// One gate for every object either source delivers: after normalizeObject(), an object has the shape
// src/kube/types.ts promises, whichever source it came from, so translate() never needs to ask.
//
// Rule of thumb: a manifest is accepted here exactly when the API server would accept it, so the same
// files behave the same in standalone mode and in a cluster. What the API server would reject is dropped
// with an error diagnostic naming the field. Deeper checks (ports, paths, references) belong to translate.
//
// Which objects are kept:
// - The kinds Tideway reads (KINDS), under their own apiVersion (Gateway API kinds also under the older
//   versions their CRDs still serve, ALSO_SERVED), with their CRD schema defaults filled in. An old or wrong apiVersion of a
//   Kubernetes group is an error (e.g. extensions/v1beta1 Ingress: no longer served).
// - ConfigMaps are kept (ingress-nginx's global settings, --ingress-nginx-configmap; small, and in a
//   cluster only the named one is watched).
// - Namespaces are kept with their labels only (Gateway API listeners may admit routes from namespaces
//   chosen by label), and carry the label kubernetes.io/metadata.name, as the API server sets it on each.
// - Other ordinary Kubernetes kinds (Deployment, Job, ...) are skipped silently: people keep them in
//   the same directory as their Ingresses, and they are not mistakes. Same for a kind of another API group
//   that happens to share a name with ours (Knative's serving.knative.dev Service, Traefik's Middleware).
// - An unknown kind in Tideway's own group tideway.dev is skipped with a warning (most likely a typo in
//   "Middleware"). So is a document with no kind, or one that is not a mapping at all: it may be a manifest
//   with a typo, or a stray file (a Helm values.yaml) that should not be in the directory.
// - One of our kinds with no apiVersion or no name is an error: it was clearly meant for Tideway.
// - Secrets: only type kubernetes.io/tls (certificates) and Opaque (the default type; htpasswd Secrets for
//   the auth-basic-secret annotation are Opaque). Service-account tokens, registry credentials and other
//   typed Secrets are skipped silently so Tideway never holds credentials it has no use for.

import type { AnyKubeObject, Kind } from '../kube/types.ts';
import { ALSO_SERVED, API_VERSIONS, GATEWAY_API_KINDS, KINDS, isClusterScoped } from '../kube/types.ts';
import type { Diagnostic, Severity } from '../kube/diagnostic.ts';
import { applyGatewayApiDefaults } from './gateway-defaults.ts';

/** Where an object was read from; manifest files know the file and the line the object starts on. */
export interface SourceLocation {
  file: string;
  line: number;
}

export interface NormalizeResult {
  /** The normalized copy, or undefined when the object is skipped (ignored kind or invalid). */
  object: AnyKubeObject | undefined;
  diagnostics: Diagnostic[];
}

const OWN_GROUP = 'tideway.dev';
const KEPT_SECRET_TYPES = new Set(['kubernetes.io/tls', 'Opaque']);
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** Groups served by Kubernetes itself (core is ""), plus ours: a known kind there with the wrong apiVersion is a mistake. */
function isKubernetesOrOwnGroup(group: string): boolean {
  return group === '' || group === 'extensions' || group.endsWith('.k8s.io') || group === OWN_GROUP;
}

function isKnownKind(kind: string): kind is Kind {
  return (KINDS as readonly string[]).includes(kind);
}

/**
 * Checks and normalizes one object as a source read it. Never mutates `raw` (the Kubernetes source hands
 * in objects from its informer cache); the result is a fresh copy.
 */
export function normalizeObject(raw: unknown, location?: SourceLocation): NormalizeResult {
  const problems = new Problems(location);
  const object = normalize(raw, problems);
  return { object, diagnostics: problems.diagnostics };
}

/** Collects diagnostics, pointing at the file and line when the object came from a manifest. */
class Problems {
  readonly diagnostics: Diagnostic[] = [];
  readonly #location: SourceLocation | undefined;

  constructor(location: SourceLocation | undefined) {
    this.#location = location;
  }

  /** A problem with an object that has no usable identity (no kind, no name): point at where it was read. */
  unidentified(severity: Severity, kind: string | undefined, message: string, reason: string): undefined {
    const loc = this.#location;
    this.diagnostics.push(loc
      ? { severity, kind: 'File', object: loc.file, field: `line ${loc.line}`, message: kind ? `${kind}: ${message}` : message, reason }
      : { severity, kind: kind ?? 'Object', object: '(unnamed)', field: '', message, reason });
    return undefined;
  }

  add(severity: Severity, kind: string, object: string, field: string, message: string, reason: string): void {
    const loc = this.#location;
    const where = loc ? ` (${loc.file} line ${loc.line})` : '';
    this.diagnostics.push({ severity, kind, object, field, message: message + where, reason });
  }
}

function normalize(raw: unknown, problems: Problems): AnyKubeObject | undefined {
  if (!isRecord(raw)) {
    return problems.unidentified('warning', undefined, `not a Kubernetes object (a mapping with apiVersion, kind and metadata) but ${describe(raw)}; skipped`, 'NotAnObject');
  }
  const { apiVersion, kind } = raw;
  if (typeof kind !== 'string' || kind === '') {
    return problems.unidentified('warning', undefined, 'object has no kind; skipped', 'NotAnObject');
  }
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    return isKnownKind(kind) ? problems.unidentified('error', kind, 'object has no apiVersion', 'InvalidObject') : undefined;
  }
  const group = groupOf(apiVersion);
  if (!isKnownKind(kind)) {
    if (group !== OWN_GROUP) return undefined;
    return problems.unidentified('warning', kind, `unknown kind in ${apiVersion}, skipped; Tideway's own kind is Middleware (${API_VERSIONS.Middleware})`, 'UnknownKind');
  }
  const wanted = API_VERSIONS[kind];
  const served = apiVersion === wanted || (ALSO_SERVED[kind]?.includes(apiVersion) ?? false);
  if (!served && !isKubernetesOrOwnGroup(group)) return undefined; // another API's kind of the same name

  const metadata = raw.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '') {
    return problems.unidentified('error', kind, 'metadata.name is required', 'InvalidObject');
  }
  const name = metadata.name;
  const namespaced = !isClusterScoped(kind);
  if (namespaced && metadata.namespace != null && (typeof metadata.namespace !== 'string' || metadata.namespace === '')) {
    problems.add('error', kind, name, 'metadata.namespace', `must be a non-empty string, found ${describe(metadata.namespace)}`, 'InvalidObject');
    return undefined;
  }
  const namespace = namespaced ? (metadata.namespace as string | null | undefined) ?? 'default' : undefined;
  const ref = namespace ? `${namespace}/${name}` : name;

  if (!served) {
    const retired = group === groupOf(wanted) || (kind === 'Ingress' && group === 'extensions');
    const message = retired
      ? `${apiVersion} is no longer served, use ${wanted}`
      : `${kind} is served as ${wanted}, not ${apiVersion}`;
    problems.add('error', kind, ref, 'apiVersion', message, 'UnsupportedApiVersion');
    return undefined;
  }

  let valid = checkStringMap(metadata.labels, 'metadata.labels', kind, ref, problems);
  valid = checkStringMap(metadata.annotations, 'metadata.annotations', kind, ref, problems) && valid;
  if (!valid) return undefined;

  const copy = structuredClone(raw) as Json & { metadata: Json };
  dropUnread(copy);
  dropNull(copy.metadata, 'labels', 'annotations'); // "annotations:" with nothing under it is null in YAML
  if (namespace === undefined) delete copy.metadata.namespace; // the API server ignores it on cluster-scoped kinds
  else copy.metadata.namespace = namespace;

  if (kind === 'Secret') return normalizeSecret(copy, ref, problems);
  if (kind === 'ConfigMap') return checkStringMap(copy.data, 'data', kind, ref, problems) ? (copy as unknown as AnyKubeObject) : undefined;
  if (kind === 'Namespace') return normalizeNamespace(copy);
  applyGatewayApiDefaults(kind, copy);
  return copy as unknown as AnyKubeObject;
}

/**
 * Removes what nothing after the store reads, so that a change of only these fields is no change at all:
 * the store compares objects field by field and delivers nothing when they are equal. On a real API
 * server every status write (our own included) comes back as a MODIFIED event with a new
 * resourceVersion and the same spec and generation; without this, each one cost a translation.
 * - status: Tideway writes Ingress status but never reads it back from the store (the status room lists
 *   what it needs); no kind's status shapes routes.
 * - resourceVersion, generation: bookkeeping; generation moves only with the spec, which is compared
 *   (Gateway API objects keep their generation: their status reports which one it is about).
 * - managedFields, selfLink and the last-applied annotation: large, and read by no one here.
 * - Per-endpoint topology of EndpointSlices (nodeName, zone, hints): routing does not use it.
 */
function dropUnread(copy: Json & { metadata: Json }): void {
  delete copy.status;
  const metadata = copy.metadata;
  delete metadata.resourceVersion;
  // Gateway API status carries observedGeneration, so their generation is kept (it moves with the spec only).
  if (!(GATEWAY_API_KINDS as readonly string[]).includes(copy.kind as string)) delete metadata.generation;
  delete metadata.managedFields;
  delete metadata.selfLink;
  if (isRecord(metadata.annotations) && LAST_APPLIED in metadata.annotations) {
    const { [LAST_APPLIED]: _unread, ...rest } = metadata.annotations;
    metadata.annotations = rest;
  }
  if (copy.kind === 'EndpointSlice' && Array.isArray(copy.endpoints)) {
    for (const endpoint of copy.endpoints) {
      if (!isRecord(endpoint)) continue;
      delete endpoint.nodeName;
      delete endpoint.zone;
      delete endpoint.hints;
      delete endpoint.deprecatedTopology;
    }
  }
}

/** Only the labels of a Namespace are read; the API server labels each with its own name. */
function normalizeNamespace(copy: Json & { metadata: Json }): AnyKubeObject {
  const name = copy.metadata.name as string;
  return {
    apiVersion: copy.apiVersion, kind: 'Namespace',
    metadata: { ...copy.metadata, labels: { ...(copy.metadata.labels as Record<string, string> | undefined), [NAMESPACE_NAME_LABEL]: name } },
  } as unknown as AnyKubeObject;
}

/**
 * Secrets as the API server stores them: stringData is merged into data as base64 (stringData wins on
 * the same key, as it does on write) and removed; type defaults to Opaque.
 */
function normalizeSecret(secret: Json, ref: string, problems: Problems): AnyKubeObject | undefined {
  const type = secret.type ?? 'Opaque';
  if (typeof type !== 'string' || !KEPT_SECRET_TYPES.has(type)) return undefined;
  secret.type = type;
  let valid = checkStringMap(secret.data, 'data', 'Secret', ref, problems);
  valid = checkStringMap(secret.stringData, 'stringData', 'Secret', ref, problems) && valid;
  if (!valid) return undefined;
  const data = { ...(secret.data as Record<string, string> | undefined) };
  for (const [key, value] of Object.entries(data)) {
    // Go's base64 decoder, which the API server uses, skips line breaks; anything else must be base64.
    if (!BASE64.test(value.replace(/[\r\n]/g, ''))) {
      problems.add('error', 'Secret', ref, `data["${key}"]`, 'is not valid base64 (put plain text under stringData instead)', 'InvalidObject');
      valid = false;
    }
  }
  if (!valid) return undefined;
  for (const [key, value] of Object.entries((secret.stringData as Record<string, string> | undefined) ?? {})) {
    data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  delete secret.stringData;
  if (Object.keys(data).length > 0) secret.data = data;
  else delete secret.data; // as the API server serves a Secret without data
  return secret as unknown as AnyKubeObject;
}

/** Labels, annotations and Secret data are string-to-string maps; an unquoted number in YAML is the usual slip. */
function checkStringMap(value: unknown, field: string, kind: string, ref: string, problems: Problems): boolean {
  if (value === undefined || value === null) return true;
  if (!isRecord(value)) {
    problems.add('error', kind, ref, field, `must be a map of strings, found ${describe(value)}`, 'InvalidObject');
    return false;
  }
  let valid = true;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === 'string') continue;
    const hint = typeof entry === 'number' || typeof entry === 'boolean' ? ` (quote it in YAML: "${String(entry)}")` : '';
    problems.add('error', kind, ref, `${field}["${key}"]`, `must be a string, found ${describe(entry)}${hint}`, 'InvalidObject');
    valid = false;
  }
  return valid;
}

function dropNull(record: Json, ...keys: string[]): void {
  for (const key of keys) if (record[key] === null) delete record[key];
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}
