// BackendTLSPolicy: TLS to the Services it targets, verified against CA certificates from ConfigMaps
// (key ca.crt) of the policy's namespace, or the system's well-known CAs, for the policy's hostname
// (also sent as SNI). A policy that cannot be honoured makes its backends unusable (500 for their share)
// rather than reaching them unverified.
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
    if (arrayField(validation, 'subjectAltNames').length > 0) return fail(`${ref}: spec.validation.subjectAltNames is not supported yet (the certificate is checked against the hostname)`);
    const wellKnown = field(validation, 'wellKnownCACertificates');
    const refs = arrayField(validation, 'caCertificateRefs');
    if (wellKnown === 'System' && refs.length === 0) return { tls: { caSecret: 'system', caPem: rootCertificates.join('\n'), serverName: host.host } };
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
    return { tls: { caSecret: `ConfigMap ${namespace}/${refs.map((r) => stringField(r, 'name')).join(',')}`, caPem: pems.join('\n'), serverName: host.host } };
  }
}
