// BackendTLSPolicy: TLS to the Services it targets, verified against CA certificates from ConfigMaps
// (key ca.crt) of the policy's namespace, or the system's well-known CAs, for the policy's hostname
// (also sent as SNI), or for one of its subjectAltNames when it lists some (the hostname then only
// picks the certificate, as the spec asks). A policy that cannot be honoured makes its backends
// unusable (500 for their share) rather than reaching them unverified. Its status (Accepted,
// ResolvedRefs) is written for each Gateway through which routes reach a Service it targets.
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { BackendTLSPolicy, ConfigMap } from '../../kube/types.ts';
import type { BackendTlsSpec } from '../../routing/spec.ts';
import { checkHost } from '../hosts.ts';
import { namespaceOf } from '../precedence.ts';
import type { DiagnosticSink } from '../diagnostics.ts';
import { arrayField, field, stringField, stringMap } from '../shape.ts';
import { GATEWAY_GROUP } from './listeners.ts';
import { condition, generationOf, type ConditionSpec, type StatusEntry } from './status.ts';

export type PolicyResult = { tls: BackendTlsSpec } | { problem: string; policy: string };

/** A policy read once per translation: what it gives its backends and the conditions of its status. */
interface EvaluatedPolicy {
  policy: BackendTLSPolicy;
  namespace: string;
  result: PolicyResult;
  accepted: ConditionSpec;
  resolvedRefs: ConditionSpec;
  /** What is wrong with it, reported on the policy when a route reaches a Service it targets. */
  problems: PolicyProblem[];
  /** Gateways ("namespace/name") through which routes reach a Service the policy targets: its ancestors. */
  ancestors: Set<string>;
}

interface PolicyProblem {
  field: string;
  reason: string;
  message: string;
}

/** How a policy's targetRefs select port `portName` of a Service: by sectionName, as a whole, or not. */
function selects(policy: BackendTLSPolicy, service: string, portName: string): 'section' | 'service' | null {
  let whole = false;
  for (const target of arrayField(policy.spec, 'targetRefs')) {
    if ((stringField(target, 'group') ?? '') !== '' || stringField(target, 'kind') !== 'Service' || stringField(target, 'name') !== service) continue;
    const section = stringField(target, 'sectionName');
    if (section === portName) return 'section';
    if (section === undefined) whole = true;
  }
  return whole ? 'service' : null;
}

export class BackendTlsPolicies {
  /** In precedence order: the oldest first, then by namespace/name (the caller sorts). */
  private readonly evaluated: EvaluatedPolicy[];
  private readonly configMaps = new Map<string, ConfigMap>();

  constructor(policies: readonly BackendTLSPolicy[], configMaps: readonly ConfigMap[]) {
    for (const map of configMaps) this.configMaps.set(`${namespaceOf(map)}/${map.metadata.name}`, map);
    // A target (Service and sectionName) belongs to the first policy naming it; later ones are Conflicted.
    const claimed = new Map<string, string>();
    this.evaluated = policies.map((policy) => {
      const namespace = namespaceOf(policy);
      let conflict: PolicyProblem | null = null;
      for (const target of arrayField(policy.spec, 'targetRefs')) {
        const key = `${namespace}/${stringField(target, 'group') ?? ''}/${stringField(target, 'kind')}/${stringField(target, 'name')}#${stringField(target, 'sectionName') ?? ''}`;
        const owner = claimed.get(key);
        if (owner === undefined) claimed.set(key, policy.metadata.name);
        else conflict ??= { field: 'spec.targetRefs', reason: 'Conflicted', message: `${stringField(target, 'kind')} ${stringField(target, 'name')}${stringField(target, 'sectionName') === undefined ? '' : ` (sectionName ${stringField(target, 'sectionName')})`} is already targeted by the older BackendTLSPolicy ${namespace}/${owner}; this policy does not apply to it` };
      }
      return { ...this.evaluate(policy, namespace, conflict), policy, namespace, ancestors: new Set<string>() };
    });
  }

  /**
   * The policy for port `portName` of Service namespace/service, or null: one naming the port in a
   * sectionName wins over one targeting the whole Service, then the oldest. Every policy selecting the
   * port counts `ancestors` (the Gateways the asking route is attached to) as its own, for its status.
   */
  forService(namespace: string, service: string, portName: string, ancestors: readonly string[] = []): PolicyResult | null {
    let winner: EvaluatedPolicy | null = null;
    let bySection = false;
    for (const entry of this.evaluated) {
      if (entry.namespace !== namespace) continue;
      const how = selects(entry.policy, service, portName);
      if (how === null) continue;
      for (const gateway of ancestors) entry.ancestors.add(gateway);
      if (how === 'section' && !bySection) {
        winner = entry;
        bySection = true;
      } else if (winner === null) winner = entry;
    }
    return winner === null ? null : winner.result;
  }

  /** Reports the problems of every policy that applies to a backend of a route attached to Tideway's Gateways. */
  report(sink: DiagnosticSink): void {
    for (const entry of this.evaluated) {
      if (entry.ancestors.size === 0 || entry.problems.length === 0) continue;
      const diag = sink.for('BackendTLSPolicy', `${entry.namespace}/${entry.policy.metadata.name}`);
      for (const p of entry.problems) {
        if (p.reason === 'Conflicted') diag.warning(p.field, p.reason, p.message);
        else diag.error(p.field, p.reason, `${p.message}; the backends it targets answer 500`);
      }
    }
  }

  /** status.ancestors of every policy that applies to a backend of a route attached to Tideway's Gateways. */
  statusEntries(): StatusEntry[] {
    const out: StatusEntry[] = [];
    for (const entry of this.evaluated) {
      if (entry.ancestors.size === 0) continue;
      out.push({
        kind: 'BackendTLSPolicy', namespace: entry.namespace, name: entry.policy.metadata.name, generation: generationOf(entry.policy),
        ancestors: [...entry.ancestors].sort().map((ref) => {
          const slash = ref.indexOf('/');
          return { ancestorRef: { group: GATEWAY_GROUP, kind: 'Gateway', namespace: ref.slice(0, slash), name: ref.slice(slash + 1) }, conditions: [entry.accepted, entry.resolvedRefs] };
        }),
      });
    }
    return out;
  }

  /**
   * What the policy gives its backends and its conditions (the spec's reasons): a CA reference of
   * another kind is InvalidKind, a missing or unusable ConfigMap InvalidCACertificateRef; when none of
   * them is usable the policy is not Accepted (NoValidCACertificate). Backends of a policy with any
   * problem answer 500 rather than being reached unverified.
   */
  private evaluate(policy: BackendTLSPolicy, namespace: string, conflict: PolicyProblem | null): Pick<EvaluatedPolicy, 'result' | 'accepted' | 'resolvedRefs' | 'problems'> {
    const ref = `BackendTLSPolicy ${namespace}/${policy.metadata.name}`;
    const validation = field(policy.spec, 'validation');
    const refs = arrayField(validation, 'caCertificateRefs');
    const pems: string[] = [];
    let refProblem: PolicyProblem | null = null;
    for (const [i, caRef] of refs.entries()) {
      const name = stringField(caRef, 'name') ?? '';
      const at = `spec.validation.caCertificateRefs[${i}]`;
      const group = stringField(caRef, 'group') ?? '';
      const kind = stringField(caRef, 'kind') ?? '';
      if (group !== '' || kind !== 'ConfigMap') {
        refProblem ??= { field: at, reason: 'InvalidKind', message: `${group === '' ? '' : `${group}/`}${kind} is not supported (only core ConfigMaps)` };
        continue;
      }
      const map = this.configMaps.get(`${namespace}/${name}`);
      const pem = map === undefined ? undefined : stringMap(field(map, 'data'))['ca.crt'];
      if (pem === undefined) {
        refProblem ??= { field: at, reason: 'InvalidCACertificateRef', message: `ConfigMap ${namespace}/${name} ${map === undefined ? 'not found' : 'has no data["ca.crt"]'}` };
        continue;
      }
      try {
        if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
        new X509Certificate(pem);
      } catch (err) {
        refProblem ??= { field: at, reason: 'InvalidCACertificateRef', message: `ConfigMap ${namespace}/${name} data["ca.crt"] is not a PEM certificate: ${(err as Error).message}` };
        continue;
      }
      pems.push(pem);
    }
    const hostname = stringField(validation, 'hostname');
    const host = hostname === undefined ? null : checkHost(hostname);
    const wellKnown = field(validation, 'wellKnownCACertificates');
    const sans = subjectAltNames(arrayField(validation, 'subjectAltNames'));
    const invalid = (at: string, message: string): PolicyProblem => ({ field: at, reason: 'Invalid', message });
    let problem: PolicyProblem | null = null;
    if (host === null || !host.ok || host.host.startsWith('*.')) problem = invalid('spec.validation.hostname', `${JSON.stringify(hostname ?? null)} must be a host name`);
    else if (typeof sans === 'string') problem = invalid(`spec.validation.${sans.slice(0, sans.indexOf(' '))}`, sans.slice(sans.indexOf(' ') + 1));
    else if (wellKnown !== undefined && wellKnown !== null && wellKnown !== 'System') problem = invalid('spec.validation.wellKnownCACertificates', `${JSON.stringify(wellKnown)} is not supported (System is)`);
    else if (wellKnown === 'System' && refs.length > 0) problem = invalid('spec.validation', 'wellKnownCACertificates and caCertificateRefs cannot both be set');
    else if (wellKnown !== 'System' && refs.length === 0) problem = invalid('spec.validation', 'caCertificateRefs or wellKnownCACertificates: System is needed');
    const noValidCa = refs.length > 0 && pems.length === 0;
    const text = (p: PolicyProblem) => `${p.field}: ${p.message}`;
    const accepted = conflict !== null
      ? condition('Accepted', false, 'Conflicted', text(conflict))
      : problem !== null
        ? condition('Accepted', false, 'Invalid', text(problem))
        : noValidCa
          ? condition('Accepted', false, 'NoValidCACertificate', `no caCertificateRef is usable: ${text(refProblem!)}`)
          : condition('Accepted', true, 'Accepted', 'the policy is accepted');
    const resolvedRefs = refProblem === null
      ? condition('ResolvedRefs', true, 'ResolvedRefs', 'every CA certificate reference is resolved')
      : condition('ResolvedRefs', false, refProblem.reason, text(refProblem));
    const problems = [conflict, problem, refProblem].filter((p): p is PolicyProblem => p !== null);
    const failure = problem ?? refProblem;
    if (failure !== null || host === null || !host.ok || typeof sans === 'string') {
      return { result: { problem: `${ref}: ${failure === null ? '' : text(failure)}`, policy: ref }, accepted, resolvedRefs, problems };
    }
    const serverName = host.host;
    const tls: BackendTlsSpec = wellKnown === 'System'
      ? { caSecret: 'system', caPem: rootCertificates.join('\n'), serverName, ...sans }
      : { caSecret: `ConfigMap ${namespace}/${refs.map((r) => stringField(r, 'name')).join(',')}`, caPem: pems.join('\n'), serverName, ...sans };
    return { result: { tls }, accepted, resolvedRefs, problems };
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
