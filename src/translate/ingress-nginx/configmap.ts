// ingress-nginx's global settings (its ConfigMap, --ingress-nginx-configmap) as Tideway defaults.
// With the flag, ingress-nginx's own defaults apply to the keys the ConfigMap leaves out (a 1m body
// limit, HSTS on HTTPS answers, 503 for rate limits...), since that is what the Ingresses were written
// against. A bad value is an error naming the key, and ingress-nginx's default applies; keys Tideway
// does not use are listed in one warning on the ConfigMap.
import { parseDuration, parseSize } from '../../lib/units.ts';
import type { ConfigMap } from '../../kube/types.ts';
import type { RouteOptions } from '../../routing/spec.ts';
import type { ClusterState } from '../../store/cluster-state.ts';
import type { DiagnosticSink, ObjectDiagnostics } from '../diagnostics.ts';
import { namespaceOf } from '../precedence.ts';
import { isRecord, stringMap } from '../shape.ts';

/** What the ConfigMap sets for every Ingress Tideway serves. */
export interface NginxGlobals {
  /** Route defaults (they win over the gateway's flags). */
  defaults: Partial<RouteOptions>;
  /** force-ssl-redirect: https redirect even without TLS. */
  forceSslRedirect: boolean;
  /** limit-req-status-code: the answer to requests over a limit-rps / limit-rpm. */
  limitStatus: number;
  /** "namespace/name" of the ConfigMap, for diagnostics; null without one. */
  configMap: string | null;
  /** whitelist-source-range / denylist-source-range: defaults an Ingress's own annotation replaces. */
  allowSourceRange: string | null;
  denySourceRange: string | null;
  /** block-cidrs: denied on every Ingress, whatever its annotations. */
  blockCidrs: string | null;
  /** global-auth-*: external auth of every Ingress without its own auth-url (and without enable-global-auth: "false"). */
  auth: { url: string; method: string | null; responseHeaders: string | null; signin: string | null } | null;
  /** custom-http-errors: default of the annotation. */
  customHttpErrors: string | null;
  /** global-allowed-response-headers (lower-cased): the only headers custom-headers may set. */
  allowedResponseHeaders: readonly string[];
  /** The data of ConfigMap namespace/name (custom-headers), or undefined when it does not exist. */
  configMapData(namespace: string, name: string): Record<string, string> | undefined;
}

/** Without --ingress-nginx-configmap: Tideway's defaults, and ingress-nginx's rate-limit answer. */
export const NO_NGINX_GLOBALS: NginxGlobals = Object.freeze({
  defaults: {}, forceSslRedirect: false, limitStatus: 503, configMap: null,
  allowSourceRange: null, denySourceRange: null, blockCidrs: null, auth: null, customHttpErrors: null,
  allowedResponseHeaders: [], configMapData: () => undefined,
});

/** Keys with no default, read as they are; bad values are reported where they are used (fail closed for access). */
export const NGINX_CONFIG_PASSED_ON: readonly string[] = [
  'whitelist-source-range', 'denylist-source-range', 'block-cidrs',
  'global-auth-url', 'global-auth-method', 'global-auth-response-headers', 'global-auth-signin', 'custom-http-errors',
  'global-allowed-response-headers',
];

/** ingress-nginx's defaults for the keys Tideway reads (internal/ingress/controller/config). */
export const NGINX_CONFIG_DEFAULTS: Readonly<Record<string, string>> = {
  'proxy-body-size': '1m',
  'proxy-connect-timeout': '5',
  'proxy-read-timeout': '60',
  'ssl-redirect': 'true',
  'force-ssl-redirect': 'false',
  hsts: 'true',
  'hsts-max-age': '31536000',
  'hsts-include-subdomains': 'true',
  'hsts-preload': 'false',
  'limit-req-status-code': '503',
};

/** Keys read with a difference, and what it is. */
export const NGINX_CONFIG_APPROXIMATED: Readonly<Record<string, string>> = {
  'proxy-send-timeout': 'no separate send timeout: writes to the backend are bounded by the read timeout',
  'use-forwarded-headers': 'Tideway trusts X-Forwarded-* from the addresses in --trusted-proxies; set that flag instead',
};

function field(key: string): string {
  return `data[${JSON.stringify(key)}]`;
}

class Reader {
  readonly data: Record<string, string>;
  private readonly diag: ObjectDiagnostics;

  constructor(data: Record<string, string>, diag: ObjectDiagnostics) {
    this.data = data;
    this.diag = diag;
  }

  /** A key with no default: its trimmed value, or null when absent or empty. */
  passed(key: string): string | null {
    const value = this.data[key]?.trim();
    return value ? value : null;
  }

  /** The value, or ingress-nginx's default after reporting a bad one. */
  read<T>(key: string, parse: (text: string) => T | null, expected: string): T {
    const text = this.data[key];
    if (text !== undefined) {
      const value = parse(text.trim());
      if (value !== null) return value;
      this.diag.error(field(key), 'InvalidConfigMapValue', `expected ${expected}, got ${JSON.stringify(text)}; ingress-nginx's default ${JSON.stringify(NGINX_CONFIG_DEFAULTS[key])} applies`);
    }
    return parse(NGINX_CONFIG_DEFAULTS[key]!)!;
  }
}

const bool = (text: string): boolean | null => (text === 'true' ? true : text === 'false' ? false : null);
const seconds = (text: string): number | null => {
  if (!/^\d+$/.test(text) || Number(text) === 0) return null;
  return parseDuration(text);
};
const size = (text: string): number | null => {
  try {
    return parseSize(text);
  } catch {
    return null;
  }
};
const whole = (min: number, max: number) => (text: string): number | null => (/^\d+$/.test(text) && Number(text) >= min && Number(text) <= max ? Number(text) : null);

function hsts(r: Reader): string | null {
  if (!r.read('hsts', bool, '"true" or "false"')) return null;
  const maxAge = r.read('hsts-max-age', whole(0, 2 ** 31), 'seconds');
  const sub = r.read('hsts-include-subdomains', bool, '"true" or "false"');
  const preload = r.read('hsts-preload', bool, '"true" or "false"');
  return `max-age=${maxAge}${sub ? '; includeSubDomains' : ''}${preload ? '; preload' : ''}`;
}

function globalAuth(r: Reader): NginxGlobals['auth'] {
  const url = r.passed('global-auth-url');
  if (url === null) return null;
  return { url, method: r.passed('global-auth-method'), responseHeaders: r.passed('global-auth-response-headers'), signin: r.passed('global-auth-signin') };
}

/** ConfigMaps by "namespace/name", for custom-headers. */
function configMapLookup(state: ClusterState): NginxGlobals['configMapData'] {
  // Built on first use: most translations have no custom-headers.
  let byRef: Map<string, ConfigMap> | null = null;
  return (namespace, name) => {
    byRef ??= new Map((Array.isArray(state?.configMaps) ? state.configMaps : []).filter((c) => isRecord(c?.metadata)).map((c) => [`${namespaceOf(c)}/${c.metadata.name}`, c]));
    const configMap = byRef.get(`${namespace}/${name}`);
    return configMap === undefined ? undefined : stringMap(configMap.data);
  };
}

/** Reads the ConfigMap named "namespace/name" (null: none configured). */
export function readNginxGlobals(state: ClusterState, ref: string | null, sink: DiagnosticSink): NginxGlobals {
  if (ref === null) return { ...NO_NGINX_GLOBALS, configMapData: configMapLookup(state) };
  const diag = sink.for('ConfigMap', ref);
  const configMap = (state.configMaps ?? []).find((c: ConfigMap) => `${namespaceOf(c)}/${c.metadata.name}` === ref);
  if (configMap === undefined) diag.warning('', 'ConfigMapNotFound', 'not found: ingress-nginx\'s defaults apply until it exists');
  const r = new Reader(stringMap(configMap?.data), diag);
  const globals: NginxGlobals = {
    defaults: {
      maxBodyBytes: r.read('proxy-body-size', size, 'a size such as "8m"'),
      connectTimeoutMs: r.read('proxy-connect-timeout', seconds, 'whole seconds above 0'),
      readTimeoutMs: r.read('proxy-read-timeout', seconds, 'whole seconds above 0'),
      sslRedirect: r.read('ssl-redirect', bool, '"true" or "false"'),
      hsts: hsts(r),
    },
    forceSslRedirect: r.read('force-ssl-redirect', bool, '"true" or "false"'),
    limitStatus: r.read('limit-req-status-code', whole(400, 599), 'a status from 400 to 599'),
    configMap: ref,
    allowSourceRange: r.passed('whitelist-source-range'),
    denySourceRange: r.passed('denylist-source-range'),
    blockCidrs: r.passed('block-cidrs'),
    auth: globalAuth(r),
    customHttpErrors: r.passed('custom-http-errors'),
    allowedResponseHeaders: (r.passed('global-allowed-response-headers') ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    configMapData: configMapLookup(state),
  };
  for (const [key, how] of Object.entries(NGINX_CONFIG_APPROXIMATED)) {
    if (key in r.data) diag.warning(field(key), 'NginxSettingApproximated', `approximated: ${how}`);
  }
  const unused = Object.keys(r.data).filter((key) => !(key in NGINX_CONFIG_DEFAULTS) && !(key in NGINX_CONFIG_APPROXIMATED) && !NGINX_CONFIG_PASSED_ON.includes(key)).sort();
  if (unused.length > 0) diag.warning('data', 'NginxSettingsIgnored', `keys Tideway does not use, ignored: ${unused.join(', ')}`);
  return globals;
}
