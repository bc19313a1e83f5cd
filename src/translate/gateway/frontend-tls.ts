// Client certificate validation of a Gateway's HTTPS listeners (spec.tls.frontend): `default` for every
// HTTPS listener, `perPort[]` overriding it on one port. The CA certificates come from ConfigMaps (key
// ca.crt) of the Gateway's namespace, or of another with a ReferenceGrant from Gateway to ConfigMap.
// Reasons are the spec's: a bad reference makes the listeners ResolvedRefs=False
// (InvalidCACertificateRef, InvalidCACertificateKind, RefNotPermitted), and when no reference is valid
// they are Accepted=False, NoValidCACertificate, and take no routes: validation fails closed.
import { X509Certificate } from 'node:crypto';
import type { ConfigMap } from '../../kube/types.ts';
import type { ClientValidationSpec } from '../../routing/spec.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { namespaceOf } from '../precedence.ts';
import { arrayField, field, stringField, stringMap } from '../shape.ts';
import type { ReferenceGrants } from './grants.ts';
import { GATEWAY_GROUP, type GatewayView, type ListenerProblem } from './listeners.ts';

type Mode = ClientValidationSpec['mode'];

/** One validation stanza, resolved: the CA bundle (null: no valid reference) and what was wrong. */
interface Resolved {
  at: string;
  caPem: string | null;
  mode: Mode;
  problems: ListenerProblem[];
}

export class FrontendValidation {
  private readonly configMaps = new Map<string, ConfigMap>();
  private readonly grants: ReferenceGrants;
  /** Claims by "port host": the first Gateway to validate a host on a port keeps it. */
  private readonly claimed = new Set<string>();
  readonly specs: ClientValidationSpec[] = [];

  constructor(configMaps: readonly ConfigMap[], grants: ReferenceGrants) {
    for (const map of configMaps) this.configMaps.set(`${namespaceOf(map)}/${map.metadata.name}`, map);
    this.grants = grants;
  }

  /**
   * Applies the Gateway's spec.tls.frontend to its usable HTTPS listeners (ListenerSets' included):
   * problems go on the listeners, the validation into `specs`. Returns whether any port falls back
   * to insecure (the InsecureFrontendValidationMode condition).
   */
  apply(view: GatewayView, diag: ObjectDiagnostics): boolean {
    const frontend = field(field(view.gateway.spec, 'tls'), 'frontend');
    if (frontend === undefined || frontend === null) return false;
    const namespace = namespaceOf(view.gateway);
    const read = (raw: unknown, at: string): Resolved | null => (field(raw, 'validation') == null ? null : this.resolve(field(raw, 'validation'), `${at}.validation`, namespace, diag));
    const fallback = read(field(frontend, 'default'), 'spec.tls.frontend.default');
    const perPort = new Map<number, Resolved | null>();
    arrayField(frontend, 'perPort').forEach((entry, i) => {
      const port = field(entry, 'port');
      if (typeof port === 'number') perPort.set(port, read(field(entry, 'tls'), `spec.tls.frontend.perPort[${i}].tls`));
    });
    let insecure = false;
    // One spec per stanza and port (`default` spans every port).
    const specs = new Map<Resolved, Map<number, ClientValidationSpec>>();
    for (const listener of view.listeners) {
      if (listener.protocol !== 'HTTPS' || !listener.usable) continue;
      const resolved = perPort.has(listener.port) ? perPort.get(listener.port)! : fallback;
      if (resolved === null) continue;
      listener.problems.push(...resolved.problems);
      if (resolved.caPem === null) {
        listener.problems.push({ condition: 'Accepted', reason: 'NoValidCACertificate', message: `${resolved.at}.caCertificateRefs: no valid CA certificate; listener ${listener.name} takes no routes` });
        listener.usable = false;
        continue;
      }
      insecure ||= resolved.mode === 'AllowInsecureFallback';
      const host = listener.hostname ?? '';
      const claim = `${listener.port} ${host}`;
      if (this.claimed.has(claim)) continue; // another Gateway validates this host on this port already
      this.claimed.add(claim);
      const byPort = specs.get(resolved) ?? new Map<number, ClientValidationSpec>();
      specs.set(resolved, byPort);
      let spec = byPort.get(listener.port);
      if (spec === undefined) {
        spec = { port: listener.port, hosts: [], caPem: resolved.caPem, mode: resolved.mode, source: `Gateway ${view.ref}` };
        byPort.set(listener.port, spec);
        this.specs.push(spec);
      }
      spec.hosts.push(host);
    }
    return insecure;
  }

  private resolve(validation: unknown, at: string, namespace: string, diag: ObjectDiagnostics): Resolved {
    const rawMode = field(validation, 'mode') ?? 'AllowValidOnly';
    const problems: ListenerProblem[] = [];
    const report = (where: string, reason: string, message: string): void => {
      diag.error(where, reason, message);
      problems.push({ condition: 'ResolvedRefs', reason, message: `${where}: ${message}` });
    };
    let mode: Mode = 'AllowValidOnly';
    if (rawMode === 'AllowInsecureFallback') mode = rawMode;
    else if (rawMode !== 'AllowValidOnly') diag.error(`${at}.mode`, 'UnsupportedValue', `must be AllowValidOnly or AllowInsecureFallback, not ${JSON.stringify(rawMode)}; AllowValidOnly is used`);
    const pems: string[] = [];
    const refs = arrayField(validation, 'caCertificateRefs');
    if (refs.length === 0) report(`${at}.caCertificateRefs`, 'InvalidCACertificateRef', 'at least one CA certificate reference is required');
    refs.forEach((ref, j) => {
      const where = `${at}.caCertificateRefs[${j}]`;
      const group = stringField(ref, 'group') ?? '';
      const kind = stringField(ref, 'kind') ?? '';
      const name = stringField(ref, 'name') ?? '';
      const refNamespace = stringField(ref, 'namespace') ?? namespace;
      if (group !== '' || kind !== 'ConfigMap') return report(where, 'InvalidCACertificateKind', `${group === '' ? '' : `${group}/`}${kind || '(no kind)'} is not supported: CA certificates come from core ConfigMaps (key ca.crt)`);
      if (!this.grants.allows({ fromGroup: GATEWAY_GROUP, fromKind: 'Gateway', fromNamespace: namespace, toGroup: '', toKind: 'ConfigMap', toNamespace: refNamespace, toName: name })) {
        return report(where, 'RefNotPermitted', `ConfigMap ${refNamespace}/${name} is in another namespace and no ReferenceGrant there allows Gateways of ${namespace} to use it`);
      }
      const map = this.configMaps.get(`${refNamespace}/${name}`);
      const pem = map === undefined ? undefined : stringMap(field(map, 'data'))['ca.crt'];
      if (pem === undefined) return report(where, 'InvalidCACertificateRef', `ConfigMap ${refNamespace}/${name} ${map === undefined ? 'not found' : 'has no key ca.crt'}`);
      try {
        new X509Certificate(pem);
      } catch (err) {
        return report(where, 'InvalidCACertificateRef', `ConfigMap ${refNamespace}/${name} ca.crt is not a PEM certificate (${(err as Error).message})`);
      }
      pems.push(pem.trim());
    });
    return { at, caPem: pems.length === 0 ? null : `${pems.join('\n')}\n`, mode, problems };
  }
}
