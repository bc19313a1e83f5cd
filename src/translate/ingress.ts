// One Ingress -> its routes, default backend and certificates, added to the shared sets in the
// order of precedence that translate() walks Ingresses in.
import type { MiddlewareSpec, PathKind, RouteSpec } from '../routing/spec.ts';
import type { Lookups } from './cluster-index.ts';
import { readIngressSettings } from './annotations.ts';
import type { BackendSink } from './backends.ts';
import { defaultBackendFallback, withLocationCookiePath, type CanarySet, type NginxView } from './ingress-nginx/index.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';
import { checkHost } from './hosts.ts';
import { middlewaresFor } from './middlewares.ts';
import type { TranslateOptions } from './options.ts';
import { isPathProblem, resolvePath } from './paths.ts';
import { namespaceOf } from './precedence.ts';
import type { RouteSink } from './route-set.ts';
import { arrayField, field, isRecord, isUnset } from './shape.ts';
import { isSecured, type CertificateSink } from './tls.ts';

/**
 * What translating one Ingress reads and writes. The full translation passes the shared sets, which
 * settle conflicts at once; the incremental translator passes recorders that settle them later, per host.
 */
export interface TranslationContext {
  lookups: Lookups;
  options: TranslateOptions;
  backends: BackendSink;
  certificates: CertificateSink;
  routes: RouteSink;
  /** ingress-nginx canary Ingresses, by host and path of the main Ingress. */
  canaries: Pick<CanarySet, 'for'>;
}

/** Puts the canary before affinity, which must see the backend the request goes to. */
function withCanary(middlewares: MiddlewareSpec[], canary: MiddlewareSpec | undefined): MiddlewareSpec[] {
  if (canary === undefined) return middlewares;
  const at = middlewares.findIndex((m) => m.type === 'affinity');
  return at < 0 ? [...middlewares, canary] : [...middlewares.slice(0, at), canary, ...middlewares.slice(at)];
}

/** The rule's host, lower-cased ("" without host), or null when invalid (reported). */
function ruleHost(rule: Record<string, unknown>, at: string, diag: ObjectDiagnostics): string | null {
  const raw = rule.host;
  if (isUnset(raw)) return '';
  if (typeof raw !== 'string') {
    diag.error(`${at}.host`, 'InvalidHost', `host must be a string, not ${JSON.stringify(raw)}; this rule is not served`);
    return null;
  }
  const check = checkHost(raw);
  if (check.ok) return check.host;
  diag.error(`${at}.host`, 'InvalidHost', `${check.message}; this rule is not served`);
  return null;
}

/** `view` is the Ingress read through its nginx annotations (ingress-nginx/view.ts). */
export function translateIngress(view: NginxView, ctx: TranslationContext): void {
  const { ingress, diag, nginx } = view;
  const namespace = namespaceOf(ingress);
  const name = ingress.metadata.name;
  const spec: unknown = ingress.spec;
  if (!isUnset(spec) && !isRecord(spec)) {
    diag.error('spec', 'InvalidSpec', 'spec must be an object; nothing of this Ingress is served');
    return;
  }
  const settings = readIngressSettings(ingress.metadata.annotations, ctx.options.defaults, diag);
  const secured = ctx.certificates.addIngress(ingress, diag);
  const middlewares = middlewaresFor(ingress, ctx.lookups, diag, ctx.options, (ns, backend, at) => ctx.backends.resolve(ns, backend, at, settings.protocolOverride, diag, settings.backendTls), nginx);
  const served = defaultBackendFallback(nginx.defaultBackend, namespace, ctx.options.nginxAnnotationPrefix, ctx.lookups, ctx.backends, diag);
  const route = (id: string, host: string, kind: PathKind, path: string, backend: string | null, canary?: MiddlewareSpec): RouteSpec => ({
    id: `${namespace}/${name}#${id}`,
    namespace,
    ingress: name,
    host,
    path,
    kind,
    backend,
    // force-ssl-redirect (ingress-nginx) redirects even where the Ingress has no TLS for the host.
    options: { ...settings.options, sslRedirect: nginx.forceSslRedirect || (settings.options.sslRedirect && isSecured(secured, host)) },
    middlewares: view.redirects.get(host) !== undefined ? [view.redirects.get(host)!] : withCanary(nginx.cookiePathPerLocation ? withLocationCookiePath(middlewares, kind, path) : middlewares, canary),
  });

  const rules = field(spec, 'rules');
  const defaultBackend = field(spec, 'defaultBackend');
  if (!isUnset(rules) && !Array.isArray(rules)) diag.error('spec.rules', 'InvalidSpec', 'spec.rules must be a list; no rule of this Ingress is served');
  else if (arrayField(spec, 'rules').length === 0 && isUnset(defaultBackend)) diag.error('spec', 'InvalidSpec', 'either spec.rules or spec.defaultBackend must be set');

  const claim = isUnset(defaultBackend) ? null : ctx.routes.claimDefault('spec.defaultBackend', `Ingress ${diag.object} spec.defaultBackend`, diag);
  if (claim !== null) {
    const ref = ctx.backends.resolve(namespace, defaultBackend, 'spec.defaultBackend', settings.protocolOverride, claim.diag, settings.backendTls);
    if (ref.route) claim.add(route('default', '', 'Prefix', '', ref.backend));
  }

  arrayField(spec, 'rules').forEach((rule, i) => {
    const at = `spec.rules[${i}]`;
    if (!isRecord(rule)) {
      diag.error(at, 'InvalidRule', 'a rule must be an object; it is not served');
      return;
    }
    const host = ruleHost(rule, at, diag);
    if (host === null) return;
    // A rule without http is valid in the API and routes nothing.
    if (isUnset(rule.http)) return;
    const paths = field(rule.http, 'paths');
    if (!Array.isArray(paths) || paths.length === 0) {
      diag.error(`${at}.http.paths`, 'InvalidRule', 'http.paths must be a non-empty list; this rule is not served');
      return;
    }
    paths.forEach((entry, j) => {
      const pathAt = `${at}.http.paths[${j}]`;
      if (!isRecord(entry)) {
        diag.error(pathAt, 'InvalidRule', 'a path entry must be an object; it is not served');
        return;
      }
      const resolved = resolvePath(entry.path, entry.pathType, settings.useRegex);
      if (isPathProblem(resolved)) {
        diag.error(`${pathAt}.${resolved.field}`, resolved.reason, `${resolved.message}; this path is not served`);
        return;
      }
      const claim = ctx.routes.claimPath(host, resolved.conflictKey, resolved, pathAt, `Ingress ${diag.object} ${pathAt}`, diag);
      if (claim === null) return;
      const ref = ctx.backends.resolve(namespace, entry.backend, `${pathAt}.backend`, settings.protocolOverride, claim.diag, settings.backendTls);
      if (!ref.route) return;
      const canary = ctx.canaries.for(host, entry.path);
      claim.add(route(`${i}.${j}`, host, resolved.kind, resolved.path, served(ref.backend), canary));
    });
  });
}
