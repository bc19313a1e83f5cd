// Which Ingress wins when two claim the same thing (a path, the default backend, a TLS host): the
// oldest by metadata.creationTimestamp, then namespace/name order, as ingress-nginx does.
import type { Ingress } from '../kube/types.ts';

/** Milliseconds since the epoch; objects without a readable timestamp sort after all others. */
function creationTime(ingress: Ingress): number {
  // The API client hands timestamps over as Date objects; manifests and the wire format as strings.
  const value: unknown = ingress.metadata.creationTimestamp;
  const time = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(time) ? Infinity : time;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function namespaceOf(ingress: { metadata: { namespace?: string } }): string {
  return typeof ingress.metadata.namespace === 'string' && ingress.metadata.namespace ? ingress.metadata.namespace : 'default';
}

export function compareByName(a: Ingress, b: Ingress): number {
  return compareStrings(namespaceOf(a), namespaceOf(b)) || compareStrings(a.metadata.name, b.metadata.name);
}

export function compareIngressPrecedence(a: Ingress, b: Ingress): number {
  const ta = creationTime(a);
  const tb = creationTime(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareByName(a, b);
}
