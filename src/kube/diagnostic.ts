// A diagnostic is a problem found in users' configuration. It names the object and the field so that
// the message alone tells the user what to fix; it becomes a log line, a metric and a Kubernetes Event.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Object kind, e.g. "Ingress"; "File" for manifest files that could not be read. */
  kind: string;
  /** "namespace/name" of the object, or the file path for File diagnostics. */
  object: string;
  /** Field path, e.g. "spec.rules[0].http.paths[1].backend.service.port"; "" when it is the whole object. */
  field: string;
  message: string;
  /** Short stable code used as metric label and Event reason, e.g. "ServiceNotFound". */
  reason: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.field ? `: ${d.field}` : '';
  return `${d.kind} ${d.object}${where}: ${d.message}`;
}
