// Host names an nginx Ingress serves beyond its rules: server-alias (more names for the same routes)
// and from-to-www-redirect (the www. twin of each host answers 308 to the host). As in ingress-nginx,
// a name that some Ingress already serves as a host is left to that Ingress, with a warning.
import type { Ingress, IngressRule } from '../../kube/types.ts';
import type { MiddlewareSpec } from '../../routing/spec.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { checkHost } from '../hosts.ts';
import { isRecord } from '../shape.ts';
import { annotationField } from './annotations.ts';

export interface ExtraHosts {
  /** Rules to append to the Ingress: copies of its rules under the other names. */
  rules: IngressRule[];
  /** host -> the middleware every route of that host runs instead of the Ingress's (the www redirect). */
  redirects: Map<string, MiddlewareSpec>;
}

function ruleHosts(ingress: Ingress): { rule: IngressRule; host: string }[] {
  const rules: unknown = ingress.spec?.rules;
  if (!Array.isArray(rules)) return [];
  return rules.filter((r): r is IngressRule => isRecord(r) && typeof r.host === 'string' && r.host !== '').map((rule) => ({ rule, host: rule.host!.toLowerCase() }));
}

/** Every rule host of the Ingresses, lower-cased: names taken for aliases and www twins. */
export function servedHosts(ingresses: readonly Ingress[]): Set<string> {
  return new Set(ingresses.flatMap((ingress) => ruleHosts(ingress).map((r) => r.host)));
}

export function extraHosts(ingress: Ingress, values: Record<string, unknown>, prefix: string, taken: ReadonlySet<string>, diag: ObjectDiagnostics): ExtraHosts {
  const out: ExtraHosts = { rules: [], redirects: new Map() };
  const read = (name: string): string | undefined => {
    const v = values[`${prefix}/${name}`];
    return typeof v === 'string' ? v.trim() : undefined;
  };
  const hosts = ruleHosts(ingress);
  const added = new Set<string>();
  /** The checked name, or null (reported) when it is invalid or already served. */
  const usable = (raw: string, annotation: string, what: string): string | null => {
    const check = checkHost(raw);
    const field = annotationField(`${prefix}/${annotation}`);
    if (!check.ok) {
      diag.error(field, 'InvalidAnnotation', `${check.message}; this name is not served`);
      return null;
    }
    if (taken.has(check.host) || added.has(check.host)) {
      diag.warning(field, 'HostAlreadyServed', `${check.host} is already served as a host; ${what} is not added for it`);
      return null;
    }
    added.add(check.host);
    return check.host;
  };

  // server-alias: every rule of the Ingress is served under each alias too (their paths merge, as in
  // one nginx server).
  for (const alias of (read('server-alias') ?? '').split(/[\s,]+/).filter(Boolean)) {
    const name = usable(alias, 'server-alias', 'the alias');
    if (name !== null) for (const { rule } of hosts) out.rules.push({ ...rule, host: name });
  }
  if (read('from-to-www-redirect')?.toLowerCase() === 'true') {
    for (const { rule, host } of hosts) {
      if (host.startsWith('*.')) continue;
      const twin = usable(host.startsWith('www.') ? host.slice(4) : `www.${host}`, 'from-to-www-redirect', 'the www redirect');
      if (twin === null) continue;
      out.rules.push({ ...rule, host: twin });
      out.redirects.set(twin, { type: 'redirect', source: 'annotations', config: { host, statusCode: 308 } });
    }
  }
  return out;
}
