// The translate room's door: Kubernetes objects -> route table + diagnostics.
export { translate, type TranslateResult } from './translate.ts';
export { DEFAULT_ROUTE_OPTIONS, resolveTranslateOptions, type TranslateOptions, type TranslateOptionsInput } from './options.ts';
export { MIDDLEWARE_ANNOTATIONS } from './middlewares.ts';
export type { ObjectDiagnostics } from './diagnostics.ts';
export { readyReplicas } from './replicas.ts';
export { secretReferences } from './secret-references.ts';
export { configMapReferences } from './config-map-references.ts';
export { SUPPORTED_FEATURES, type ConditionSpec, type GatewayAddressSpec, type GatewayApiStatus, type StatusEntry } from './gateway/index.ts';
export { formatMigrationReport, migrationReport, NGINX_ANNOTATIONS, type NginxAnnotation, type ReportLine } from './ingress-nginx/index.ts';
