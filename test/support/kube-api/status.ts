// Error answers in the API server's Status shape (kind Status, apiVersion v1, status Failure, message,
// reason, details, code), with the messages the real server writes, so clients parse them the same way.
import { qualifiedResource, type FieldError, type JsonObject, type ResourceDef } from './resources.ts';

export class StatusError extends Error {
  readonly code: number;
  readonly status: JsonObject;
  constructor(code: number, reason: string, message: string, details?: JsonObject) {
    super(message);
    this.code = code;
    this.status = {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason,
      ...(details ? { details } : {}), code,
    };
  }
}

function details(def: ResourceDef, name: string): JsonObject {
  return { name, group: def.group || undefined, kind: def.plural };
}

export const statusErrors = {
  notFound: (def: ResourceDef, name: string) =>
    new StatusError(404, 'NotFound', `${qualifiedResource(def)} "${name}" not found`, details(def, name)),
  alreadyExists: (def: ResourceDef, name: string) =>
    new StatusError(409, 'AlreadyExists', `${qualifiedResource(def)} "${name}" already exists`, details(def, name)),
  conflict: (def: ResourceDef, name: string) =>
    new StatusError(409, 'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      details(def, name)),
  invalid: (def: ResourceDef, name: string, errors: FieldError[]) => {
    const kind = def.group ? `${def.kind}.${def.group}` : def.kind;
    const causes = errors.map((e) => ({
      reason: e.reason ?? 'FieldValueInvalid',
      message: e.reason === 'FieldValueRequired' ? 'Required value' : `Invalid value: ${e.valueText ?? JSON.stringify(e.value)}: ${e.message}`,
      field: e.field,
    }));
    const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
    return new StatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${causes.length > 1 ? `[${list}]` : list}`,
      { name, group: def.group || undefined, kind: def.kind, causes });
  },
  badRequest: (message: string) => new StatusError(400, 'BadRequest', message),
  unauthorized: () => new StatusError(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (def: ResourceDef, verb: string, namespace: string | undefined, user: string) =>
    new StatusError(403, 'Forbidden',
      `${qualifiedResource(def)} is forbidden: User "${user}" cannot ${verb} resource "${def.plural}" in API group "${def.group}" ${namespace ? `in the namespace "${namespace}"` : 'at the cluster scope'}`,
      { group: def.group || undefined, kind: def.plural }),
  pathNotFound: () => new StatusError(404, 'NotFound', 'the server could not find the requested resource', {}),
  methodNotAllowed: (method: string) => new StatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`, {}),
  unsupportedMediaType: (type: string) => new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got ${type})`),
  internal: (message: string) => new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }),
  expired: (message: string) => new StatusError(410, 'Expired', message),
  tooOldResourceVersion: (requested: number, oldest: number) =>
    new StatusError(410, 'Expired', `too old resource version: ${requested} (${oldest})`),
};

export function statusForCode(code: number, message = `injected failure ${code}`): StatusError {
  const reasons: Record<number, string> = {
    400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 410: 'Expired',
    422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
  };
  return new StatusError(code, reasons[code] ?? 'Unknown', message);
}
