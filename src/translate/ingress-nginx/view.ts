// An Ingress as the rest of translation sees it: its nginx annotations replaced by the tideway.dev/
// ones they mean, and a diagnostics view that names the nginx annotation a problem came from (the
// user wrote nginx.ingress.kubernetes.io/auth-secret, not tideway.dev/auth-basic-secret).
import type { Ingress } from '../../kube/types.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { isRecord } from '../shape.ts';
import { readNginxAnnotations, type NginxTranslation } from './annotations.ts';
import type { NginxGlobals } from './configmap.ts';
import { extraHosts } from './hosts.ts';
import type { MiddlewareSpec } from '../../routing/spec.ts';

export interface NginxView {
  /**
   * The Ingress depends on more than its own objects: a canary (it changes other Ingresses' routes),
   * server-alias and from-to-www-redirect (other Ingresses' hosts), default-backend (endpoints). The
   * incremental translator leaves such Ingresses to the full translation.
   */
  crossObject: boolean;
  /** Hosts whose routes only redirect (from-to-www-redirect), with the redirect middleware. */
  redirects: ReadonlyMap<string, MiddlewareSpec>;
  /** The Ingress as written. */
  original: Ingress;
  /** The Ingress with tideway.dev/ annotations in place of the nginx ones. */
  ingress: Ingress;
  diag: ObjectDiagnostics;
  nginx: NginxTranslation;
}

const TIDEWAY_FIELD = /^metadata\.annotations\["tideway\.dev\/([a-z0-9-]+)"\]$/;

function renamingDiagnostics(diag: ObjectDiagnostics, origins: ReadonlyMap<string, string>): ObjectDiagnostics {
  if (origins.size === 0) return diag;
  const rename = (field: string): string => {
    const m = TIDEWAY_FIELD.exec(field);
    const origin = m ? origins.get(m[1]!) : undefined;
    return origin ?? field;
  };
  return {
    kind: diag.kind,
    object: diag.object,
    error: (field, reason, message) => diag.error(rename(field), reason, message),
    warning: (field, reason, message) => diag.warning(rename(field), reason, message),
  };
}

const CAPTURE_REFERENCE = /\$(\d)/g;

/** Capture groups of a path regex, or null when it does not compile (reported with the path). */
function captureGroups(source: string): number | null {
  try {
    return new RegExp(`${source}|`).exec('')!.length - 1;
  } catch {
    return null;
  }
}

/**
 * rewrite-target may only name capture groups every regex path of the Ingress has: "$3" with a path of
 * two groups is a mistake (nginx would put nothing there). Reported, and the rewrite is not applied.
 */
function checkCaptures(ingress: Ingress, nginx: NginxTranslation, diag: ObjectDiagnostics): void {
  const target = nginx.annotations['tideway.dev/rewrite-target'];
  const origin = nginx.origins.get('rewrite-target');
  if (typeof target !== 'string' || origin === undefined) return;
  const highest = Math.max(0, ...[...target.matchAll(CAPTURE_REFERENCE)].map((m) => Number(m[1])));
  if (highest === 0) return;
  const rules: unknown = ingress.spec?.rules;
  for (const rule of Array.isArray(rules) ? rules : []) {
    const paths: unknown = isRecord(rule) && isRecord(rule.http) ? rule.http.paths : undefined;
    for (const entry of Array.isArray(paths) ? paths : []) {
      if (!isRecord(entry) || entry.pathType !== 'ImplementationSpecific' || typeof entry.path !== 'string') continue;
      const groups = captureGroups(entry.path);
      if (groups === null || groups >= highest) continue;
      diag.error(origin, 'InvalidAnnotation', `refers to capture group $${highest}, but path ${JSON.stringify(entry.path)} has ${groups}; the path is not rewritten`);
      delete nginx.annotations['tideway.dev/rewrite-target'];
      return;
    }
  }
}

/** `prefix` is ingress-nginx's annotation prefix, without the trailing "/". */
function hasAnnotation(annotations: unknown, prefix: string, name: string): boolean {
  return isRecord(annotations) && `${prefix}/${name}` in annotations;
}

/** `taken` holds every rule host of the served Ingresses (server-alias and www twins avoid them). */
export function nginxView(ingress: Ingress, prefix: string, namespace: string, globals: NginxGlobals, taken: ReadonlySet<string>, diag: ObjectDiagnostics): NginxView {
  const raw = ingress.metadata.annotations;
  const nginx = readNginxAnnotations(isRecord(raw) ? raw : {}, prefix, namespace, globals, diag);
  checkCaptures(ingress, nginx, diag);
  const extra = extraHosts(ingress, isRecord(raw) ? raw : {}, prefix, taken, diag);
  const rules: unknown = ingress.spec?.rules;
  const spec = extra.rules.length === 0 || !Array.isArray(rules) ? ingress.spec : { ...ingress.spec, rules: [...rules, ...extra.rules] };
  return {
    original: ingress,
    crossObject: nginx.canary || nginx.defaultBackend !== null || extra.rules.length > 0 || hasAnnotation(raw, prefix, 'server-alias') || hasAnnotation(raw, prefix, 'from-to-www-redirect') || hasAnnotation(raw, prefix, 'custom-headers'),
    redirects: extra.redirects,
    // Values of other prefixes pass as they came (translation reports non-strings itself).
    ingress: { ...ingress, metadata: { ...ingress.metadata, annotations: nginx.annotations as Record<string, string> }, ...(spec === undefined ? {} : { spec }) },
    diag: renamingDiagnostics(diag, nginx.origins),
    nginx,
  };
}
