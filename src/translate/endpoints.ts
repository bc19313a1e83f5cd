// EndpointSlices -> the endpoints of one Service port, chosen as kube-proxy does: the ready ones
// (conditions.ready unset counts as ready, per the API), or, when none is ready, the ones that are
// still serving while terminating, so that a rolling update does not turn into 503s.
import type { EndpointSpec } from '../routing/spec.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';
import { isIPv4, isIPv6 } from './ip.ts';
import { arrayField, field, stringField } from './shape.ts';

interface SliceEndpoint {
  addresses: string[];
  ready: boolean;
  /** Serving while terminating: the fallback when nothing is ready. */
  servingTerminating: boolean;
  target?: string;
}

/** An EndpointSlice reduced to what routing needs, with invalid entries dropped (and reported). */
export interface SliceView {
  /** Port number by port name ("" for the unnamed port). */
  ports: Map<string, number>;
  endpoints: SliceEndpoint[];
}

function validAddress(addressType: unknown): (address: string) => boolean {
  if (addressType === 'IPv4') return isIPv4;
  if (addressType === 'IPv6') return isIPv6;
  return (address) => isIPv4(address) || isIPv6(address);
}

/** Null for slices Tideway cannot use (addressType FQDN). 127.0.0.0/8 is allowed: the files source runs locally. */
export function readEndpointSlice(slice: unknown, namespace: string, diag: ObjectDiagnostics): SliceView | null {
  const addressType = field(slice, 'addressType');
  if (addressType === 'FQDN') {
    diag.warning('addressType', 'UnsupportedEndpoints', 'EndpointSlices of addressType FQDN are not supported; its endpoints are not used');
    return null;
  }
  const isValid = validAddress(addressType);

  const ports = new Map<string, number>();
  arrayField(slice, 'ports').forEach((port, i) => {
    const number = field(port, 'port');
    const name = stringField(port, 'name') ?? '';
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 65535) {
      diag.warning(`ports[${i}].port`, 'InvalidEndpoint', `invalid port ${JSON.stringify(number)}: must be a number from 1 to 65535; this port is not used`);
      return;
    }
    if (!ports.has(name)) ports.set(name, number);
  });

  const endpoints: SliceEndpoint[] = [];
  arrayField(slice, 'endpoints').forEach((endpoint, i) => {
    const addresses: string[] = [];
    arrayField(endpoint, 'addresses').forEach((address, j) => {
      if (typeof address === 'string' && isValid(address)) addresses.push(address);
      else diag.warning(`endpoints[${i}].addresses[${j}]`, 'InvalidEndpoint', `invalid address ${JSON.stringify(address)} for addressType ${String(addressType ?? 'unset')}; it is not used`);
    });
    if (addresses.length === 0) return;
    const conditions = field(endpoint, 'conditions');
    const ready = field(conditions, 'ready') !== false;
    // serving unset means serving (the API says so for clients that predate the field).
    const servingTerminating = field(conditions, 'serving') !== false && field(conditions, 'terminating') === true;
    const targetRef = field(endpoint, 'targetRef');
    const targetName = stringField(targetRef, 'name');
    const targetKind = stringField(targetRef, 'kind');
    const target = targetName && (targetKind === undefined || targetKind === 'Pod') ? `${stringField(targetRef, 'namespace') || namespace}/${targetName}` : undefined;
    endpoints.push(target === undefined ? { addresses, ready, servingTerminating } : { addresses, ready, servingTerminating, target });
  });
  return { ports, endpoints };
}

function compareEndpoints(a: EndpointSpec, b: EndpointSpec): number {
  return a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port;
}

/**
 * The endpoints for the Service port named `portName` ("" when unnamed), de-duplicated across
 * slices and sorted by address and port. Every address of an endpoint is used, as ingress-nginx does.
 */
export function selectEndpoints(slices: readonly SliceView[], portName: string): EndpointSpec[] {
  const ready = new Map<string, EndpointSpec>();
  const fallback = new Map<string, EndpointSpec>();
  for (const slice of slices) {
    const port = slice.ports.get(portName);
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints) {
      const into = endpoint.ready ? ready : endpoint.servingTerminating ? fallback : null;
      if (into === null) continue;
      for (const address of endpoint.addresses) {
        const key = `${address}\u0000${port}`;
        if (into.has(key)) continue;
        const spec: EndpointSpec = { address, port, ready: endpoint.ready };
        if (endpoint.target !== undefined) spec.target = endpoint.target;
        into.set(key, spec);
      }
    }
  }
  return [...(ready.size > 0 ? ready : fallback).values()].sort(compareEndpoints);
}
