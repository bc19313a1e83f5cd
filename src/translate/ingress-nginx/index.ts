// ingress-nginx compatibility (DESIGN.md): its annotations on every Ingress Tideway serves, its class
// with --ingress-nginx-compat, its canary Ingresses, and the table behind the migration report and docs.
export { DEFAULT_NGINX_PREFIX, readNginxAnnotations, type NginxTranslation } from './annotations.ts';
export { NGINX_CONFIG_APPROXIMATED, NGINX_CONFIG_DEFAULTS, NO_NGINX_GLOBALS, readNginxGlobals, type NginxGlobals } from './configmap.ts';
export { CanarySet } from './canary.ts';
export { assess, nginxAnnotation, NGINX_ANNOTATIONS, type NginxAnnotation, type NginxAnnotationStatus, type Verdict } from './table.ts';
export { nginxView, type NginxView } from './view.ts';
export { servedHosts } from './hosts.ts';
export { defaultBackendFallback } from './default-backend.ts';
export { formatMigrationReport, migrationReport, type ReportLine, type ReportVerdict } from './report.ts';
export { NGINX_CONTROLLER, NGINX_LEGACY_CLASS } from './class.ts';
export { withLocationCookiePath } from './cookie-path.ts';
