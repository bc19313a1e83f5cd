// The tideway.dev/ annotations that shape routes (protocol, regex mode, timeouts, body size, HTTPS
// redirect). They apply to every path of their Ingress and to nothing else. A bad value is an error
// diagnostic and the default applies; an unknown name with our prefix is a warning (likely a typo).
import { ANNOTATION_PREFIX } from '../kube/constants.ts';
import type { BackendProtocol, RouteOptions } from '../routing/spec.ts';
import { parseDuration, parseSize } from '../lib/units.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';
import { MIDDLEWARE_ANNOTATIONS } from './middlewares.ts';
import { parseBackendProtocol } from './protocol.ts';
import { isRecord } from './shape.ts';
import type { AnnotationTlsRequest } from './backend-tls.ts';

const DNS_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

export interface IngressSettings {
  /** pathType ImplementationSpecific paths are regular expressions. */
  useRegex: boolean;
  /** From backend-protocol; null keeps each Service port's appProtocol. */
  protocolOverride: BackendProtocol | null;
  /** From backend-ca-secret and backend-tls-server-name; null: TLS backends are not verified. */
  backendTls: AnnotationTlsRequest | null;
  /** sslRedirect here is what defaults and annotation allow; TLS coverage of the host decides at the end. */
  options: RouteOptions;
}

/** Applies one annotation value; returns why the value is invalid, or null. */
type Apply = (value: string, settings: IngressSettings) => string | null;

function parseBoolean(value: string): boolean | null {
  const lower = value.trim().toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : null;
}

function booleanAnnotation(set: (settings: IngressSettings, value: boolean) => void): Apply {
  return (value, settings) => {
    const parsed = parseBoolean(value);
    if (parsed === null) return `expected "true" or "false", got ${JSON.stringify(value)}`;
    set(settings, parsed);
    return null;
  };
}

function timeoutAnnotation(set: (options: RouteOptions, ms: number) => void): Apply {
  return (value, settings) => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (err) {
      return (err as Error).message;
    }
    if (ms <= 0) return `invalid duration ${JSON.stringify(value)}: must be greater than zero`;
    set(settings.options, ms);
    return null;
  };
}

/** A Strict-Transport-Security value (RFC 6797 6.1): max-age=<seconds>, optionally includeSubDomains and preload. */
function checkHsts(value: string): string | null {
  const directives = value.split(';').map((d) => d.trim().toLowerCase()).filter(Boolean);
  if (!directives.some((d) => /^max-age=\d+$/.test(d))) return `expected "max-age=<seconds>" with optional "; includeSubDomains" and "; preload", got ${JSON.stringify(value)}`;
  const unknown = directives.find((d) => !/^max-age=\d+$/.test(d) && d !== 'includesubdomains' && d !== 'preload');
  return unknown === undefined ? null : `unknown Strict-Transport-Security directive ${JSON.stringify(unknown)}`;
}

const ROUTE_ANNOTATIONS = new Map<string, Apply>([
  ['use-regex', booleanAnnotation((s, v) => (s.useRegex = v))],
  [
    'enable-access-log',
    booleanAnnotation((s, v) => {
      if (v) delete s.options.accessLog;
      else s.options.accessLog = false;
    }),
  ],
  ['ssl-redirect', booleanAnnotation((s, v) => (s.options.sslRedirect = v))],
  [
    'backend-protocol',
    (value, settings) => {
      const protocol = parseBackendProtocol(value);
      if (protocol === null) return `expected one of HTTP, HTTPS, H2C, GRPC, GRPCS, got ${JSON.stringify(value)}`;
      settings.protocolOverride = protocol;
      return null;
    },
  ],
  [
    'hsts',
    (value, settings) => {
      const why = checkHsts(value);
      if (why === null) settings.options.hsts = value.trim();
      return why;
    },
  ],
  [
    'backend-ca-secret',
    (value, settings) => {
      const name = value.trim();
      if (!DNS_NAME.test(name) || name.length > 253) return `expected the name of a Secret in the Ingress's namespace, got ${JSON.stringify(value)}`;
      settings.backendTls = { caSecret: name, serverName: settings.backendTls?.serverName ?? null };
      return null;
    },
  ],
  [
    'backend-tls-server-name',
    (value, settings) => {
      const name = value.trim().toLowerCase();
      if (!DNS_NAME.test(name) || name.length > 253) return `expected a DNS name, got ${JSON.stringify(value)}`;
      // Applied with backend-ca-secret (annotations are read in name order, so this one comes second).
      if (settings.backendTls !== null) settings.backendTls.serverName = name;
      else return 'needs tideway.dev/backend-ca-secret: without a CA nothing is verified';
      return null;
    },
  ],
  ['proxy-connect-timeout', timeoutAnnotation((o, ms) => (o.connectTimeoutMs = ms))],
  ['proxy-read-timeout', timeoutAnnotation((o, ms) => (o.readTimeoutMs = ms))],
  ['websocket-idle-timeout', timeoutAnnotation((o, ms) => (o.tunnelIdleTimeoutMs = ms))],
  [
    'proxy-body-size',
    (value, settings) => {
      try {
        settings.options.maxBodyBytes = parseSize(value);
      } catch (err) {
        return (err as Error).message;
      }
      return null;
    },
  ],
]);

const KNOWN_NAMES: readonly string[] = [...ROUTE_ANNOTATIONS.keys(), ...MIDDLEWARE_ANNOTATIONS].sort();

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function suggestion(name: string): string {
  let best: string | undefined;
  let bestDistance = 4; // farther than this is not a typo
  for (const known of KNOWN_NAMES) {
    const d = editDistance(name, known);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best ? `; did you mean ${ANNOTATION_PREFIX}${best}?` : '';
}

function annotationField(key: string): string {
  return `metadata.annotations[${JSON.stringify(key)}]`;
}

export function readIngressSettings(annotations: unknown, defaults: RouteOptions, diag: ObjectDiagnostics): IngressSettings {
  const settings: IngressSettings = { useRegex: false, protocolOverride: null, backendTls: null, options: { ...defaults } };
  if (!isRecord(annotations)) return settings;
  const keys = Object.keys(annotations)
    .filter((key) => key.startsWith(ANNOTATION_PREFIX))
    .sort();
  for (const key of keys) {
    const name = key.slice(ANNOTATION_PREFIX.length);
    const field = annotationField(key);
    const apply = ROUTE_ANNOTATIONS.get(name);
    if (apply === undefined) {
      if (!MIDDLEWARE_ANNOTATIONS.includes(name)) diag.warning(field, 'UnknownAnnotation', `unknown annotation ${key}${suggestion(name)}`);
      continue;
    }
    const value = annotations[key];
    const why = typeof value === 'string' ? apply(value, settings) : `must be a string, got ${JSON.stringify(value)}`;
    if (why !== null) diag.error(field, 'InvalidAnnotation', `${why}; the default applies`);
  }
  return settings;
}
