// Tideway's own settings, from command-line flags (and TIDEWAY_* environment variables for the same
// names), validated into one typed object. The flag names are a contract (DESIGN.md, docs/cli.md).
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { CidrSet, CidrParseError } from '../lib/cidr.ts';
import { parseDuration, parseSize, UnitParseError } from '../lib/units.ts';
import { DEFAULT_INGRESS_CLASS } from '../kube/constants.ts';

export class SettingsError extends Error {
  readonly flag: string;
  constructor(flag: string, message: string) {
    super(`--${flag}: ${message}`);
    this.name = 'SettingsError';
    this.flag = flag;
  }
}

export interface Settings {
  manifests: string[];
  kubeconfig: string | undefined;
  watchNamespaces: string[];
  ingressClass: string;
  ingressNginxCompat: boolean;
  ingressNginxAnnotationPrefix: string;
  /** --ingress-nginx-configmap: "namespace/name" of ingress-nginx's ConfigMap, whose keys become defaults. */
  ingressNginxConfigMap: string | undefined;
  bindAddress: string;
  httpPort: number;
  httpsPort: number | undefined;
  /**
   * The ports clients reach (behind a Service or load balancer), named in generated URLs (the HTTPS
   * redirect) and X-Forwarded-Port; null: the port the listener bound. In a cluster: 80 and 443.
   */
  publicPorts: { http: number | null; https: number | null };
  adminAddress: string;
  adminPort: number;
  workers: number;
  trustedProxies: CidrSet;
  allowCrossNamespace: boolean;
  defaultCertificate: string | undefined;
  publishService: string | undefined;
  publishAddress: string | undefined;
  leaderElectionNamespace: string;
  updateStatus: boolean;
  drainTimeoutMs: number;
  logLevel: string;
  accessLog: boolean;
  accessLogSample: number;
  otlpEndpoint: string | undefined;
  traceSample: number;
  plugins: string[];
  limits: {
    maxHeaderBytes: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
  };
  upstream: {
    maxIdlePerEndpoint: number;
    idleTimeoutMs: number;
    connectTimeoutMs: number;
    readTimeoutMs: number;
    maxBodyBytes: number;
    tunnelGraceMs: number;
  };
}

type FlagKind = 'string' | 'boolean';
interface FlagSpec { type: FlagKind; multiple?: boolean; help: string; default?: string }

/** Every flag with its help line; the order is the order of `--help`. */
export const FLAGS: Record<string, FlagSpec> = {
  manifests: { type: 'string', multiple: true, help: 'Kubernetes YAML file or directory to serve (standalone mode); repeatable' },
  kubeconfig: { type: 'string', help: 'kubeconfig file (in-cluster credentials are used when absent)' },
  'watch-namespace': { type: 'string', multiple: true, help: 'namespace to watch; repeatable (default: all)' },
  'ingress-class': { type: 'string', default: DEFAULT_INGRESS_CLASS, help: 'IngressClass name this instance serves' },
  'ingress-nginx-compat': { type: 'boolean', help: 'also serve ingress-nginx\'s class (controller k8s.io/ingress-nginx, legacy class "nginx")' },
  'ingress-nginx-annotation-prefix': { type: 'string', default: 'nginx.ingress.kubernetes.io', help: 'prefix of the ingress-nginx annotations Tideway reads' },
  'ingress-nginx-configmap': { type: 'string', help: 'namespace/name of ingress-nginx\'s ConfigMap: its global settings become defaults' },
  'bind-address': { type: 'string', default: '0.0.0.0', help: 'address the HTTP and HTTPS listeners bind' },
  'http-port': { type: 'string', default: '8080', help: 'plain HTTP (and h2c) port' },
  'https-port': { type: 'string', help: 'TLS port (HTTP/1.1 and HTTP/2 by ALPN)' },
  'public-http-port': { type: 'string', help: 'port clients reach for plain HTTP, in generated URLs and X-Forwarded-Port (default: 80 in a cluster, else --http-port)' },
  'public-https-port': { type: 'string', help: 'port clients reach for HTTPS, in redirects and X-Forwarded-Port (default: 443 in a cluster, else --https-port)' },
  'admin-address': { type: 'string', default: '0.0.0.0', help: 'address of the admin listener' },
  'admin-port': { type: 'string', default: '9901', help: 'admin port: /healthz /readyz /metrics /api' },
  workers: { type: 'string', help: 'worker processes (default: CPU count)' },
  'trusted-proxies': { type: 'string', multiple: true, help: 'CIDRs whose X-Forwarded-* headers are trusted; repeatable or comma-separated' },
  'allow-cross-namespace': { type: 'boolean', help: 'let Ingresses reference Middlewares and Secrets of other namespaces' },
  'default-certificate': { type: 'string', help: 'namespace/name of the TLS Secret for unknown server names' },
  'publish-service': { type: 'string', help: 'namespace/name of the Service whose address goes into Ingress status' },
  'publish-address': { type: 'string', help: 'IP or hostname written into Ingress status' },
  'leader-election-namespace': { type: 'string', help: 'namespace of the leader-election Lease (default: $POD_NAMESPACE or default)' },
  'update-status': { type: 'string', default: 'true', help: 'write Ingress status and Events (as the elected leader); false: read only' },
  'drain-timeout': { type: 'string', default: '30s', help: 'time in-flight requests get to finish on shutdown' },
  'log-level': { type: 'string', default: 'info', help: 'trace, debug, info, warn, error' },
  'access-log': { type: 'string', default: 'on', help: 'on or off' },
  'access-log-sample': { type: 'string', default: '1', help: 'fraction of requests logged, in (0, 1]; 5xx answers are always logged' },
  'otlp-endpoint': { type: 'string', help: 'OTLP/HTTP collector URL (e.g. http://collector:4318): turns tracing on' },
  'trace-sample': { type: 'string', default: '1', help: 'fraction of new traces recorded, in [0, 1]' },
  plugin: { type: 'string', multiple: true, help: 'JS or TS module registering middlewares; repeatable' },
  'client-header-timeout': { type: 'string', default: '60s', help: 'time to receive request headers (408 beyond)' },
  'client-request-timeout': { type: 'string', default: '300s', help: 'time to receive a whole request (408 beyond)' },
  'keepalive-timeout': { type: 'string', default: '75s', help: 'idle time of a client keep-alive connection' },
  'max-header-size': { type: 'string', default: '16k', help: 'request line plus headers (431 beyond)' },
  'upstream-keepalive': { type: 'string', default: '64', help: 'idle connections kept per endpoint' },
  'upstream-idle-timeout': { type: 'string', default: '60s', help: 'idle upstream connections close after this' },
  'proxy-connect-timeout': { type: 'string', default: '5s', help: 'default upstream connect timeout' },
  'proxy-read-timeout': { type: 'string', default: '60s', help: 'default upstream read timeout (504 beyond)' },
  'proxy-body-size': { type: 'string', default: '0', help: 'default max request body (0: unlimited; 413 beyond)' },
  'websocket-grace-period': { type: 'string', default: '10s', help: 'open WebSockets to an endpoint that left the routing table are closed after this' },
  help: { type: 'boolean', help: 'print this help' },
};

export function helpText(): string {
  const lines = ['Usage: tideway [flags]            run the gateway', '       tideway check <file-or-dir>...  validate manifests offline', '', 'Flags (also TIDEWAY_<FLAG> environment variables, e.g. TIDEWAY_HTTP_PORT):'];
  for (const [name, spec] of Object.entries(FLAGS)) {
    const arg = spec.type === 'string' ? ` <value>` : '';
    const def = spec.default !== undefined ? ` (default ${spec.default})` : '';
    lines.push(`${`  --${name}${arg}`.padEnd(35)} ${spec.help}${def}`);
  }
  return lines.join('\n');
}

function envName(flag: string): string {
  return `TIDEWAY_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function port(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new SettingsError(flag, `"${text}" is not a port number`);
  return value;
}

function positiveInt(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new SettingsError(flag, `"${text}" is not a positive whole number`);
  return value;
}

function booleanText(flag: string, text: string): boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  throw new SettingsError(flag, `"${text}" must be true or false`);
}

/** A number in (0, 1], or [0, 1] when zero is allowed. */
function fraction(flag: string, text: string, zeroAllowed: boolean): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value > 1 || value < 0 || (value === 0 && !zeroAllowed)) {
    throw new SettingsError(flag, `"${text}" must be a number ${zeroAllowed ? 'from 0' : 'above 0 and'} to 1`);
  }
  return value;
}

function url(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = new URL(text);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new SettingsError(flag, `"${text}" is not an http(s) URL`);
  }
  return text;
}

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    if (error instanceof UnitParseError) throw new SettingsError(flag, error.message);
    throw error;
  }
}

function size(flag: string, text: string): number {
  try {
    return parseSize(text);
  } catch (error) {
    if (error instanceof UnitParseError) throw new SettingsError(flag, error.message);
    throw error;
  }
}

/** An annotation prefix: a DNS subdomain, written without the trailing "/". */
function annotationPrefix(text: string): string {
  const value = text.endsWith('/') ? text.slice(0, -1) : text;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(value) || value.length > 253) {
    throw new SettingsError('ingress-nginx-annotation-prefix', `"${text}" is not an annotation prefix such as nginx.ingress.kubernetes.io`);
  }
  return value;
}

/** Parses flags (argv without node and script) and the environment. Throws SettingsError. */
export function parseSettings(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Settings & { help: boolean } {
  const options: Record<string, { type: FlagKind; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(FLAGS)) options[name] = spec.multiple ? { type: spec.type, multiple: true } : { type: spec.type };
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | string[] | undefined> });
  } catch (error) {
    const message = (error as Error).message;
    const match = /'(--[\w-]+)/.exec(message);
    throw new SettingsError(match ? match[1]!.slice(2) : 'flags', message);
  }
  const str = (flag: string): string | undefined => {
    const value = values[flag];
    if (typeof value === 'string') return value;
    return env[envName(flag)] ?? FLAGS[flag]!.default;
  };
  const list = (flag: string): string[] => {
    const value = values[flag];
    if (Array.isArray(value)) return value;
    const fromEnv = env[envName(flag)];
    return fromEnv ? fromEnv.split(',').map((s) => s.trim()).filter(Boolean) : [];
  };
  const bool = (flag: string): boolean => values[flag] === true || env[envName(flag)] === 'true';

  let trustedProxies: CidrSet;
  try {
    trustedProxies = new CidrSet(list('trusted-proxies').flatMap((v) => v.split(',')));
  } catch (error) {
    if (error instanceof CidrParseError) throw new SettingsError('trusted-proxies', error.message);
    throw error;
  }
  const accessLog = str('access-log')!;
  if (accessLog !== 'on' && accessLog !== 'off') throw new SettingsError('access-log', `"${accessLog}" must be on or off`);
  const logLevel = str('log-level')!;
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) throw new SettingsError('log-level', `"${logLevel}" is not a log level`);
  for (const flag of ['default-certificate', 'publish-service', 'ingress-nginx-configmap']) {
    const value = str(flag);
    if (value !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(value)) throw new SettingsError(flag, `"${value}" must be namespace/name`);
  }
  const workersText = str('workers');
  const httpsPort = str('https-port');
  const manifests = list('manifests');
  // In a cluster, clients reach Tideway through a Service on 80 and 443 whatever ports the pod listens on.
  const publicPort = (flag: string, clusterDefault: number): number | null => {
    const text = str(flag);
    if (text === undefined) return manifests.length === 0 ? clusterDefault : null;
    const value = port(flag, text);
    if (value === 0) throw new SettingsError(flag, '0 is not a port clients can reach');
    return value;
  };
  return {
    help: bool('help'),
    manifests,
    kubeconfig: str('kubeconfig'),
    watchNamespaces: list('watch-namespace'),
    ingressClass: str('ingress-class')!,
    ingressNginxCompat: bool('ingress-nginx-compat'),
    ingressNginxAnnotationPrefix: annotationPrefix(str('ingress-nginx-annotation-prefix')!),
    ingressNginxConfigMap: str('ingress-nginx-configmap'),
    bindAddress: str('bind-address')!,
    httpPort: port('http-port', str('http-port')!),
    httpsPort: httpsPort === undefined ? undefined : port('https-port', httpsPort),
    publicPorts: { http: publicPort('public-http-port', 80), https: publicPort('public-https-port', 443) },
    adminAddress: str('admin-address')!,
    adminPort: port('admin-port', str('admin-port')!),
    workers: workersText === undefined ? availableParallelism() : positiveInt('workers', workersText),
    trustedProxies,
    allowCrossNamespace: bool('allow-cross-namespace'),
    defaultCertificate: str('default-certificate'),
    publishService: str('publish-service'),
    publishAddress: str('publish-address'),
    leaderElectionNamespace: str('leader-election-namespace') ?? env.POD_NAMESPACE ?? 'default',
    updateStatus: booleanText('update-status', str('update-status')!),
    drainTimeoutMs: duration('drain-timeout', str('drain-timeout')!),
    logLevel,
    accessLog: accessLog === 'on',
    accessLogSample: fraction('access-log-sample', str('access-log-sample')!, false),
    otlpEndpoint: url('otlp-endpoint', str('otlp-endpoint')),
    traceSample: fraction('trace-sample', str('trace-sample')!, true),
    plugins: list('plugin'),
    limits: {
      maxHeaderBytes: size('max-header-size', str('max-header-size')!),
      headersTimeoutMs: duration('client-header-timeout', str('client-header-timeout')!),
      requestTimeoutMs: duration('client-request-timeout', str('client-request-timeout')!),
      keepAliveTimeoutMs: duration('keepalive-timeout', str('keepalive-timeout')!),
    },
    upstream: {
      maxIdlePerEndpoint: positiveInt('upstream-keepalive', str('upstream-keepalive')!),
      idleTimeoutMs: duration('upstream-idle-timeout', str('upstream-idle-timeout')!),
      connectTimeoutMs: duration('proxy-connect-timeout', str('proxy-connect-timeout')!),
      readTimeoutMs: duration('proxy-read-timeout', str('proxy-read-timeout')!),
      maxBodyBytes: size('proxy-body-size', str('proxy-body-size')!),
      tunnelGraceMs: duration('websocket-grace-period', str('websocket-grace-period')!),
    },
  };
}
