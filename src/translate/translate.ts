// translate(): Kubernetes objects -> RouteTableSpec + diagnostics. Pure and deterministic: no I/O,
// no clock, and the same output (diagnostics included) whatever order the objects come in.
// Semantics are documented in docs/routing.md.
import type { Diagnostic } from '../kube/diagnostic.ts';
import type { Ingress } from '../kube/types.ts';
import type { RouteTableSpec } from '../routing/spec.ts';
import type { ClusterState } from '../store/cluster-state.ts';
import { BackendResolver } from './backends.ts';
import { ClusterIndex } from './cluster-index.ts';
import { DiagnosticSink, type ObjectDiagnostics } from './diagnostics.ts';
import { translateGatewayApi, type GatewayApiStatus } from './gateway/index.ts';
import { translateIngress, type TranslationContext } from './ingress.ts';
import { isServedByUs } from './ingress-class.ts';
import { resolveTranslateOptions, type TranslateOptionsInput } from './options.ts';
import { CanarySet, nginxView, readNginxGlobals, servedHosts, type NginxView } from './ingress-nginx/index.ts';
import { compareIngressPrecedence, namespaceOf } from './precedence.ts';
import { RouteSet } from './route-set.ts';
import { field } from './shape.ts';
import { CertificateSet } from './tls.ts';

export interface TranslateResult {
  table: RouteTableSpec;
  /** The sources' diagnostics first, then translation's, grouped by kind and object. */
  diagnostics: Diagnostic[];
  /** Status of the Gateway API objects Tideway serves (GatewayClasses, Gateways, routes), for the leader to write. */
  gatewayStatus: GatewayApiStatus;
}

function ingressAnnotations(view: NginxView): Record<string, unknown> {
  const raw: unknown = view.original.metadata.annotations;
  return typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
}

export function translate(state: ClusterState, options: TranslateOptionsInput = {}): TranslateResult {
  const sink = new DiagnosticSink();
  const resolved = resolveTranslateOptions(options);
  // ingress-nginx's ConfigMap (--ingress-nginx-configmap) sets defaults for every Ingress served.
  const globals = readNginxGlobals(state, resolved.nginxConfigMap, sink);
  const opts = { ...resolved, defaults: { ...resolved.defaults, ...globals.defaults } };
  const index = new ClusterIndex(state, sink);
  const ctx = {
    lookups: index,
    options: opts,
    backends: new BackendResolver(index),
    certificates: new CertificateSet(index),
    routes: new RouteSet(),
    canaries: new CanarySet(),
  } satisfies TranslationContext;

  const diagnosticsOf = (ingress: Ingress): ObjectDiagnostics => sink.for('Ingress', `${namespaceOf(ingress)}/${ingress.metadata.name}`);
  const ours = index.ingresses.filter((ingress) => isServedByUs(ingress, index, opts, diagnosticsOf(ingress)));
  // ingress-nginx canary Ingresses first: they become middlewares of the main Ingresses' routes.
  const taken = servedHosts(ours);
  const views = [...ours].sort(compareIngressPrecedence).map((ingress) => nginxView(ingress, opts.nginxAnnotationPrefix, namespaceOf(ingress), globals, taken, diagnosticsOf(ingress)));
  for (const view of views) {
    if (view.nginx.canary) ctx.canaries.add(view.ingress, ingressAnnotations(view), opts.nginxAnnotationPrefix, ctx.backends, view.diag);
  }
  for (const view of views) {
    if (view.nginx.canary) continue;
    const diag = view.diag;
    try {
      translateIngress(view, ctx);
    } catch (err) {
      // A safety net, not a code path: translation reads every field through guards. If something
      // still slips through, this Ingress is reported and the rest of the table is built.
      diag.error('', 'InternalError', `could not be translated: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  ctx.canaries.reportUnused();
  const gatewayApi = translateGatewayApi({ ...ctx, state, index, options: { ...opts.defaults, sslRedirect: false } }, sink);

  const ref = opts.defaultCertificate;
  const defaultCertificate = ref === null ? null : ctx.certificates.operatorDefault(ref, sink.for('Secret', ref));
  const sourceDiagnostics = field(state, 'sourceDiagnostics');
  return {
    table: {
      version: 0,
      hosts: ctx.routes.hosts(),
      defaultRoute: ctx.routes.defaultRoute(),
      backends: ctx.backends.backends(),
      certificates: ctx.certificates.certificates(),
      ...(gatewayApi.extraPorts.length === 0 ? {} : { listenerPorts: gatewayApi.extraPorts }),
      ...(gatewayApi.extraTlsPorts.length === 0 ? {} : { tlsListenerPorts: gatewayApi.extraTlsPorts }),
      ...(gatewayApi.clientValidation.length === 0 ? {} : { clientValidation: gatewayApi.clientValidation }),
      ...(defaultCertificate === null ? {} : { defaultCertificate }),
    },
    diagnostics: [...(Array.isArray(sourceDiagnostics) ? (sourceDiagnostics as Diagnostic[]) : []), ...sink.sorted()],
    gatewayStatus: gatewayApi.status,
  };
}
