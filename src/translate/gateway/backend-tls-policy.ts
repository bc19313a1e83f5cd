// BackendTLSPolicy: TLS to the Services it targets, verified against CA certificates from ConfigMaps
// (key ca.crt) of the policy's namespace, or the system's well-known CAs, for the policy's hostname
// (also sent as SNI), or for one of its subjectAltNames when it lists some (the hostname then only
// picks the certificate, as the spec asks). A policy that cannot be honoured makes its backends
// unusable (500 for their share) rather than reaching them unverified.
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { BackendTLSPolicy, ConfigMap } from '../../kube/types.ts';
import type { BackendTlsSpec } from '../../routing/spec.ts';
import { checkHost } from '../hosts.ts';
import { namespaceOf } from '../precedence.ts';
import { arrayField, field, stringField, stringMap } from '../shape.ts';

export type PolicyResult = { tls: BackendTlsSpec } | { problem: string; policy: string };

export class BackendTlsPolicies {
  private readonly policies: readonly BackendTLSPolicy[];
  private readonly configMaps = new Map<string, ConfigMap>();

  constructor(policies: readonly BackendTLSPolicy[], configMaps: readonly ConfigMap[]) {
    this.policies = policies;
    for (const map of configMaps) this.configMaps.set(`${namespaceOf(map)}/${map.metadata.name}`, map);
  }

  /** The policy for port `portName` of Service namespace/service (the oldest first, by the given order), or null. */
  forService(namespace: string, service: string, portName: string): PolicyResult | null {
    for (const policy of this.policies) {
      if (namespaceOf(policy) !== namespace) continue;
      const targets = arrayField(policy.spec, 'targetRefs').some((t) =>
        (stringField(t, 'group') ?? '') === '' && stringField(t, 'kind') === 'Service' && stringField(t, 'name') === service
        && (stringField(t, 'sectionName') === undefined || stringField(t, 'sectionName') === portName));
      if (targets) return this.resolve(policy, namespace);
    }
    return null;
  }

  private resolve(policy: BackendTLSPolicy, namespace: string): PolicyResult {
    const ref = `BackendTLSPolicy ${namespace}/${policy.metadata.name}`;
    const fail = (problem: string): PolicyResult => ({ problem, policy: ref });
    const validation = field(policy.spec, 'validation');
    const hostname = stringField(validation, 'hostname');
    const host = hostname === undefined ? null : checkHost(hostname);
    if (host === null || !host.ok || host.host.startsWith('*.')) return fail(`${ref}: spec.validation.hostname must be a host name`);
    const sans = subjectAltNames(arrayField(validation, 'subjectAltNames'));
    if (typeof sans === 'string') return fail(`${ref}: spec.validation.${sans}`);
    const wellKnown = field(validation, 'wellKnownCACertificates');
    const refs = arrayField(validation, 'caCertificateRefs');
    if (wellKnown === 'System' && refs.length === 0) return { tls: { caSecret: 'system', caPem: rootCertificates.join('\n'), serverName: host.host, ...sans } };
    if (wellKnown !== undefined && wellKnown !== null) return fail(`${ref}: wellKnownCACertificates ${JSON.stringify(wellKnown)} is not supported with caCertificateRefs (System alone is)`);
    if (refs.length === 0) return fail(`${ref}: spec.validation needs caCertificateRefs or wellKnownCACertificates: System`);
    const pems: string[] = [];
    for (const caRef of refs) {
      const name = stringField(caRef, 'name') ?? '';
      if ((stringField(caRef, 'group') ?? '') !== '' || stringField(caRef, 'kind') !== 'ConfigMap') return fail(`${ref}: caCertificateRefs must be core ConfigMaps`);
      const map = this.configMaps.get(`${namespace}/${name}`);
      const pem = map === undefined ? undefined : stringMap(field(map, 'data'))['ca.crt'];
      if (pem === undefined) return fail(`${ref}: ConfigMap ${namespace}/${name} ${map === undefined ? 'not found' : 'has no data["ca.crt"]'}`);
      try {
        new X509Certificate(pem);
      } catch (err) {
        return fail(`${ref}: ConfigMap ${namespace}/${name} data["ca.crt"] is not a PEM certificate: ${(err as Error).message}`);
      }
      pems.push(pem);
    }
    return { tls: { caSecret: `ConfigMap ${namespace}/${refs.map((r) => stringField(r, 'name')).join(',')}`, caPem: pems.join('\n'), serverName: host.host, ...sans } };
  }
}

/**
 * validation.subjectAltNames as BackendTlsSpec wants them ("DNS:host", "URI:uri"), {} when there are
 * none, or the problem ("subjectAltNames[i]...") with the first unreadable entry.
 */
function subjectAltNames(entries: readonly unknown[]): { subjectAltNames?: string[] } | string {
  if (entries.length === 0) return {};
  const names: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const at = `subjectAltNames[${i}]`;
    const type = stringField(entries[i], 'type');
    if (type === 'Hostname') {
      const hostname = stringField(entries[i], 'hostname') ?? '';
      const check = checkHost(hostname);
      if (!check.ok) return `${at}.hostname ${JSON.stringify(hostname)} is not a host name`;
      names.push(`DNS:${check.host}`);
    } else if (type === 'URI') {
      const uri = stringField(entries[i], 'uri') ?? '';
      if (!isAbsoluteUri(uri)) return `${at}.uri ${JSON.stringify(uri)} must be an absolute URI (a scheme and what follows it, e.g. spiffe://cluster.local/ns/default/sa/web)`;
      names.push(`URI:${uri}`);
    } else return `${at}.type ${JSON.stringify(type ?? null)} must be Hostname or URI`;
  }
  return { subjectAltNames: names };
}

function isAbsoluteUri(text: string): boolean {
  // A certificate's URI entry holds no spaces or quotes; node:tls would quote one with ", " anyway.
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s",]+$/.test(text)) return false;
  return URL.canParse(text);
}
