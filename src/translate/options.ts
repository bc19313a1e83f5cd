import { CONTROLLER_NAME, DEFAULT_INGRESS_CLASS } from '../kube/constants.ts';
import type { RouteOptions } from '../routing/spec.ts';
import { DEFAULT_NGINX_PREFIX } from './ingress-nginx/annotations.ts';

export interface TranslateOptions {
  /** The IngressClass name Tideway answers to (legacy annotation, missing-class warnings); default "tideway". */
  ingressClass: string;
  /** spec.controller of the IngressClasses that are Tideway's; default "tideway.dev/ingress-controller". */
  controllerName: string;
  /**
   * Whether annotations may reference objects of another namespace ("other-ns/name" in
   * tideway.dev/middlewares). Passed to the middleware layer; Ingress backends are always
   * same-namespace (the Ingress API has no namespace field for them). Default false.
   */
  allowCrossNamespace: boolean;
  /** --default-certificate: "namespace/name" of the TLS Secret served to names no Ingress covers, or null. */
  defaultCertificate: string | null;
  /** Route options for Ingresses without annotations. */
  defaults: RouteOptions;
  /** --ingress-nginx-compat: also serve ingress-nginx's class. */
  ingressNginxCompat: boolean;
  /** ingress-nginx's annotation prefix, without the trailing "/" (--ingress-nginx-annotation-prefix). */
  nginxAnnotationPrefix: string;
  /** --ingress-nginx-configmap: "namespace/name" of ingress-nginx's ConfigMap, or null. */
  nginxConfigMap: string | null;
}

export const DEFAULT_ROUTE_OPTIONS: Readonly<RouteOptions> = Object.freeze({
  connectTimeoutMs: 5_000,
  readTimeoutMs: 60_000,
  // WebSockets are long-lived and often quiet; ingress-nginx users raise proxy-read-timeout for them,
  // we give them their own, generous default instead.
  tunnelIdleTimeoutMs: 3_600_000,
  maxBodyBytes: 0,
  sslRedirect: true,
  hsts: null,
});

/** What translate() accepts: every field optional, route defaults field by field. */
export type TranslateOptionsInput = Partial<Omit<TranslateOptions, 'defaults'>> & { defaults?: Partial<RouteOptions> };

export function resolveTranslateOptions(options: TranslateOptionsInput = {}): TranslateOptions {
  return {
    ingressClass: options.ingressClass ?? DEFAULT_INGRESS_CLASS,
    controllerName: options.controllerName ?? CONTROLLER_NAME,
    allowCrossNamespace: options.allowCrossNamespace ?? false,
    defaultCertificate: options.defaultCertificate ?? null,
    defaults: { ...DEFAULT_ROUTE_OPTIONS, ...options.defaults },
    ingressNginxCompat: options.ingressNginxCompat ?? false,
    nginxAnnotationPrefix: options.nginxAnnotationPrefix ?? DEFAULT_NGINX_PREFIX,
    nginxConfigMap: options.nginxConfigMap ?? null,
  };
}
