// ingress-nginx's canary model: a canary Ingress (nginx.ingress.kubernetes.io/canary: "true") names
// the same host and path as a main Ingress and a different backend; the canary annotations decide
// which requests go there. Tideway serves no routes of its own for a canary Ingress: each of its paths
// becomes a canary middleware on the main Ingress's route for that host and path. A canary without a
// main Ingress is reported and serves nothing, as in ingress-nginx.
import type { Ingress } from '../../kube/types.ts';
import type { MiddlewareSpec } from '../../routing/spec.ts';
import { BUILTIN_CONFIG_PARSERS } from '../../middleware/config/index.ts';
import type { BackendResolver } from '../backends.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { namespaceOf } from '../precedence.ts';
import { arrayField, field, isRecord, isUnset } from '../shape.ts';
import { annotationField } from './annotations.ts';

interface CanaryEntry {
  spec: MiddlewareSpec;
  diag: ObjectDiagnostics;
  at: string;
  used: boolean;
}

function key(host: string, path: string): string {
  return `${host}\u0000${path === '' ? '/' : path}`;
}

/** The canary's rules from its nginx annotations (the backend comes per path). */
function canaryRules(values: Record<string, unknown>, prefix: string, diag: ObjectDiagnostics): Record<string, unknown> | null {
  const get = (name: string): string | undefined => {
    const v = values[`${prefix}/${name}`];
    return typeof v === 'string' ? v.trim() : undefined;
  };
  const config: Record<string, unknown> = { weight: 0 };
  const number = (name: string, target: string): boolean => {
    const v = get(name);
    if (v === undefined) return true;
    if (!/^\d+$/.test(v)) {
      diag.error(annotationField(`${prefix}/${name}`), 'InvalidAnnotation', `expected a whole number, got ${JSON.stringify(v)}; this canary serves nothing`);
      return false;
    }
    config[target] = Number(v);
    return true;
  };
  if (!number('canary-weight', 'weight') || !number('canary-weight-total', 'weightTotal')) return null;
  const header = get('canary-by-header');
  const value = get('canary-by-header-value');
  const pattern = get('canary-by-header-pattern');
  const cookie = get('canary-by-cookie');
  if (header) config.header = header;
  // ingress-nginx: the exact value wins over the pattern, and both need the header.
  if (header && value) config.headerValue = value;
  else if (header && pattern) config.headerPattern = pattern;
  if (cookie) config.cookie = cookie;
  return config;
}

export class CanarySet {
  private readonly entries = new Map<string, CanaryEntry>();

  /** Adds the paths of a canary Ingress; `raw` holds its original annotations. */
  add(ingress: Ingress, raw: Record<string, unknown>, prefix: string, backends: BackendResolver, diag: ObjectDiagnostics): void {
    const rules = canaryRules(raw, prefix, diag);
    if (rules === null) return;
    const namespace = namespaceOf(ingress);
    arrayField(ingress.spec, 'rules').forEach((rule, i) => {
      if (!isRecord(rule)) return;
      const host = typeof rule.host === 'string' ? rule.host.toLowerCase() : '';
      const paths = field(rule.http, 'paths');
      if (!Array.isArray(paths)) return;
      paths.forEach((entry, j) => {
        if (!isRecord(entry)) return;
        const at = `spec.rules[${i}].http.paths[${j}]`;
        const ref = backends.resolve(namespace, entry.backend, `${at}.backend`, null, diag);
        if (!ref.route) return;
        if (ref.backend === null) {
          diag.warning(`${at}.backend`, 'CanaryBackendUnavailable', 'the canary backend has no endpoints; its share of traffic stays on the main backend');
          return;
        }
        const config = { ...rules, backend: ref.backend };
        try {
          BUILTIN_CONFIG_PARSERS.canary!(config);
        } catch (err) {
          diag.error(annotationField(`${prefix}/canary`), 'InvalidAnnotation', `${(err as Error).message}; this canary serves nothing`);
          return;
        }
        const path = isUnset(entry.path) ? '/' : String(entry.path);
        const k = key(host, path);
        if (this.entries.has(k)) {
          diag.warning(at, 'CanaryConflict', `another canary Ingress already serves ${host || '*'}${path}; this one is ignored`);
          return;
        }
        this.entries.set(k, { spec: { type: 'canary', source: 'annotations', config }, diag, at, used: false });
      });
    });
  }

  /** The canary middleware of the main route for host and path, if a canary Ingress names them. */
  for(host: string, path: unknown): MiddlewareSpec | undefined {
    const entry = this.entries.get(key(host, isUnset(path) ? '/' : String(path)));
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.spec;
  }

  /** Reports the canary paths that no main Ingress serves. */
  reportUnused(): void {
    for (const entry of this.entries.values()) {
      if (!entry.used) entry.diag.warning(entry.at, 'CanaryWithoutMain', 'no Ingress serves this host and path without the canary annotation; the canary serves nothing');
    }
  }
}
