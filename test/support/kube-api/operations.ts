// What the API server does to objects, independent of HTTP: create, update, patch, delete, get, list,
// with the real server's validation, defaulting, optimistic concurrency and status-subresource rules.
// Both the HTTP handlers and the test controls use these, so tests and the wire see the same objects.
import { randomUUID } from 'node:crypto';
import { apiVersionOf, type FieldError, type JsonObject, type ResourceDef, type ValidationPolicy } from './resources.ts';
import { ObjectTable } from './object-table.ts';
import { StatusError, statusErrors } from './status.ts';
import { jsonPatch, mergePatch, PatchError } from './patch.ts';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export interface WriteOptions {
  /** Write through the /status subresource: only status changes apply. */
  status?: boolean;
  /** Test controls write spec and status together and skip the resourceVersion rules. */
  direct?: boolean;
  dryRun?: boolean;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export const PATCH_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
  'application/apply-patch+yaml': 'apply',
};

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function withoutVolatile(obj: JsonObject): string {
  const copy = structuredClone(obj);
  delete copy.metadata?.resourceVersion;
  return JSON.stringify(copy);
}

function specOf(obj: JsonObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

export class ResourceOperations {
  private readonly table: ObjectTable;
  private readonly policy: ValidationPolicy;
  private ipCounter = 0;

  constructor(table: ObjectTable, policy: ValidationPolicy = { acceptLoopbackEndpoints: false }) {
    this.table = table;
    this.policy = policy;
  }

  private toView(def: ResourceDef, stored: JsonObject): JsonObject {
    return def.toView ? def.toView(stored) : stored;
  }

  private fromView(def: ResourceDef, view: JsonObject): JsonObject {
    return def.fromView ? def.fromView(view) : view;
  }

  private checkTypeMeta(def: ResourceDef, body: JsonObject): void {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw statusErrors.badRequest('the body of the request is not a JSON object');
    const expected = apiVersionOf(def);
    if (def.crd && !body.kind) throw statusErrors.badRequest(`Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
    if (body.apiVersion !== undefined && body.apiVersion !== expected) {
      throw statusErrors.badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${expected})`);
    }
    if (body.kind !== undefined && body.kind !== def.kind) {
      throw statusErrors.badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${def.kind})`);
    }
  }

  /** MicroTime values must carry exactly 6 fractional digits; a JavaScript Date's 3 are a 400. */
  private checkMicroTimes(def: ResourceDef, obj: JsonObject): void {
    for (const path of def.microTimeFields) {
      let value: any = obj;
      for (const part of path.split('.')) value = value?.[part];
      if (value !== undefined && value !== null && !MICRO_TIME.test(String(value))) {
        throw statusErrors.badRequest(`parsing time ${JSON.stringify(String(value))} as "2006-01-02T15:04:05.000000Z07:00": cannot parse "${String(value).slice(19)}" as ".000000"`);
      }
    }
  }

  private validateName(def: ResourceDef, name: string): void {
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      throw statusErrors.invalid(def, name, [{
        field: 'metadata.name', value: name,
        message: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      }]);
    }
  }

  private scopeNamespace(def: ResourceDef, obj: JsonObject, namespace: string | undefined): void {
    obj.metadata ??= {};
    if (!def.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) {
      throw statusErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = namespace;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): JsonObject {
    const stored = this.table.get(def.storage, def.namespaced ? namespace : undefined, name);
    if (!stored) throw statusErrors.notFound(def, name);
    return this.toView(def, stored);
  }

  /** The first `limit` objects of one resource, as of `atRv`, that `pick` accepts (it sees stored objects), and how many more it accepts. */
  listPage(def: ResourceDef, atRv: number, pick: (stored: JsonObject) => boolean, limit: number): { items: JsonObject[]; remaining: number } {
    const rest = { count: 0 };
    const items = this.table.list(def.storage, atRv, { pick, limit, rest }).map((o) => this.toView(def, o));
    return { items, remaining: rest.count };
  }

  /** Objects of one resource (all namespaces when `namespace` is undefined), as of `atRv`. */
  list(def: ResourceDef, namespace: string | undefined, atRv?: number): JsonObject[] {
    return this.table.list(def.storage, atRv)
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .map((o) => this.toView(def, o));
  }

  create(def: ResourceDef, namespace: string | undefined, body: JsonObject, options: WriteOptions = {}): JsonObject {
    this.checkTypeMeta(def, body);
    const obj = this.fromView(def, structuredClone(body));
    // Views convert to the stored form (core/v1 for events.k8s.io Events), which carries its own apiVersion.
    if (!def.fromView) obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    this.scopeNamespace(def, obj, namespace);
    this.checkMicroTimes(def, obj);
    const meta = obj.metadata;
    if (!meta.name) {
      if (!meta.generateName) {
        throw statusErrors.invalid(def, '', [{ field: 'metadata.name', value: '', message: 'name or generateName is required', reason: 'FieldValueRequired' }]);
      }
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
      meta.name = `${meta.generateName}${suffix}`;
    }
    this.validateName(def, meta.name);
    if (this.table.get(def.storage, meta.namespace, meta.name)) throw statusErrors.alreadyExists(def, meta.name);
    const errors: FieldError[] = def.validateCreate?.(obj, this.policy) ?? [];
    if (errors.length > 0) throw statusErrors.invalid(def, meta.name, errors);
    if (def.statusSubresource && !options.direct) delete obj.status;
    def.defaultOnCreate?.(obj, () => ++this.ipCounter);
    meta.uid = randomUUID();
    meta.creationTimestamp = now();
    meta.generation = 1;
    delete meta.resourceVersion;
    if (options.dryRun) return this.toView(def, obj);
    return this.toView(def, this.table.put(def.storage, obj));
  }

  update(def: ResourceDef, namespace: string | undefined, name: string, body: JsonObject, options: WriteOptions = {}): JsonObject {
    this.checkTypeMeta(def, body);
    if (body.metadata?.name !== undefined && body.metadata.name !== name) {
      throw statusErrors.badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    const incoming = this.fromView(def, structuredClone(body));
    this.scopeNamespace(def, incoming, namespace);
    this.checkMicroTimes(def, incoming);
    incoming.metadata.name = name;
    const ns = incoming.metadata.namespace;
    const current = this.table.get(def.storage, ns, name);
    if (!current) throw statusErrors.notFound(def, name);
    if (!options.direct) {
      const requested = incoming.metadata.resourceVersion;
      if (requested === undefined || requested === '') {
        if (def.requiresResourceVersionOnUpdate) {
          throw statusErrors.invalid(def, name, [{ field: 'metadata.resourceVersion', value: 0, valueText: '0x0', message: 'must be specified for an update' }]);
        }
      } else if (requested !== current.metadata.resourceVersion) {
        throw statusErrors.conflict(def, name);
      }
    }
    let next: JsonObject;
    if (options.status) {
      next = { ...current, status: incoming.status };
    } else {
      next = { ...incoming, apiVersion: current.apiVersion, kind: current.kind };
      if (def.statusSubresource && !options.direct) next.status = current.status;
      if (next.status === undefined) delete next.status;
      next.metadata = {
        ...incoming.metadata,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        generation: current.metadata.generation,
      };
      if (specOf(next) !== specOf(current)) next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    if (withoutVolatile(next) === withoutVolatile(current) || options.dryRun) return this.toView(def, next);
    return this.toView(def, this.table.put(def.storage, next));
  }

  patch(def: ResourceDef, namespace: string | undefined, name: string, type: PatchType, patch: unknown, options: WriteOptions & { fieldManager?: string } = {}): JsonObject {
    if (type === 'apply' && !options.fieldManager) {
      throw new StatusError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    }
    const ns = def.namespaced ? namespace : undefined;
    const stored = this.table.get(def.storage, ns, name);
    if (!stored) {
      if (type !== 'apply') throw statusErrors.notFound(def, name);
      return this.create(def, namespace, patch as JsonObject, options);
    }
    const current = this.toView(def, stored);
    let patched: JsonObject;
    try {
      patched = (type === 'json' ? jsonPatch(current, patch) : mergePatch(current, patch)) as JsonObject;
    } catch (err) {
      if (err instanceof PatchError) throw new StatusError(422, 'Invalid', err.message);
      throw err;
    }
    // A patch that carries a resourceVersion is an optimistic lock; without one it applies to the latest.
    const requested = (patch as JsonObject)?.metadata?.resourceVersion;
    patched.metadata ??= {};
    patched.metadata.resourceVersion = type !== 'json' && requested !== undefined ? requested : current.metadata.resourceVersion;
    return this.update(def, namespace, name, patched, options);
  }

  delete(def: ResourceDef, namespace: string | undefined, name: string, options: { preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: boolean } = {}): JsonObject {
    const ns = def.namespaced ? namespace : undefined;
    const current = this.table.get(def.storage, ns, name);
    if (!current) throw statusErrors.notFound(def, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw new StatusError(409, 'Conflict', `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw new StatusError(409, 'Conflict', `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
    }
    const deleted = options.dryRun ? current : this.table.delete(def.storage, ns, name)!;
    return this.toView(def, deleted);
  }
}
