// Gateway spec.tls.frontend, pure translation: which listeners validate client certificates with which
// CA (default and perPort), the spec's reasons for bad CA references, the grant a ConfigMap of another
// namespace needs, and the InsecureFrontendValidationMode condition.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { GatewayStatusEntry } from '../../src/translate/gateway/status.ts';
import { gateway, gatewayClass, referenceGrant } from '../support/gateway-api.ts';
import { tlsSecret } from './builders.ts';
import { CertificateFactory } from './certs.ts';
import { translateManifests as run } from './run-manifests.ts';

const caMap = (name: string, pem: string, namespace = 'default') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { 'ca.crt': pem } });
const ref = (name: string, extra: Record<string, unknown> = {}) => ({ group: '', kind: 'ConfigMap', name, ...extra });

describe('Gateway frontend TLS validation', () => {
  const certs = new CertificateFactory();
  after(() => certs.dispose());
  const server = certs.create('a.test', 'b.test');
  const ca = certs.create('Client CA');

  function withFrontend(frontend: Record<string, unknown>) {
    const gw = gateway('gw', [
      { name: 'a', port: 443, protocol: 'HTTPS', hostname: 'a.test', certificateRefs: [{ name: 'server' }] },
      { name: 'b', port: 8443, protocol: 'HTTPS', hostname: 'b.test', certificateRefs: [{ name: 'server' }] },
      { name: 'plain', port: 80 },
    ]);
    (gw.spec as Record<string, unknown>).tls = { frontend };
    return gw;
  }
  const base = () => [gatewayClass(), tlsSecret('server', server.certPem, server.keyPem), caMap('ca', ca.certPem)];
  const status = (result: ReturnType<typeof run>) => result.gatewayStatus.entries.find((e) => e.kind === 'Gateway') as GatewayStatusEntry;
  const listener = (result: ReturnType<typeof run>, name: string) => status(result).listeners.find((l) => l.name === name)!.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`);

  it('applies default to every HTTPS listener and perPort to its port', () => {
    const result = run([...base(), withFrontend({
      default: { validation: { caCertificateRefs: [ref('ca')] } },
      perPort: [{ port: 8443, tls: { validation: { caCertificateRefs: [ref('ca')], mode: 'AllowInsecureFallback' } } }],
    })]);
    assert.deepEqual(result.table.clientValidation?.map((v) => [v.port, v.hosts, v.mode]), [[443, ['a.test'], 'AllowValidOnly'], [8443, ['b.test'], 'AllowInsecureFallback']]);
    assert.match(result.table.clientValidation![0]!.caPem, /BEGIN CERTIFICATE/);
    assert.deepEqual(status(result).conditions.map((c) => `${c.type}=${c.status}/${c.reason}`).at(-1), 'InsecureFrontendValidationMode=True/ConfigurationChanged');
    assert.deepEqual(listener(result, 'a'), ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=True/ResolvedRefs', 'Conflicted=False/NoConflicts']);
  });

  it('reports bad references with the spec\'s reasons; with none valid the listener is not accepted and takes no routes', () => {
    const result = run([...base(), { ...caMap('empty', ''), data: {} }, caMap('garbage', 'not a certificate'), withFrontend({
      default: { validation: { caCertificateRefs: [ref('missing'), ref('empty'), ref('garbage'), { group: 'example.com', kind: 'Bundle', name: 'x' }] } },
    })]);
    assert.equal(result.table.clientValidation, undefined, 'nothing to validate with: no listener is served');
    assert.deepEqual(listener(result, 'a').slice(0, 3), ['Accepted=False/NoValidCACertificate', 'Programmed=False/Invalid', 'ResolvedRefs=False/InvalidCACertificateRef']);
    for (const expected of [
      'Gateway default/gw spec.tls.frontend.default.validation.caCertificateRefs[0] InvalidCACertificateRef',
      'Gateway default/gw spec.tls.frontend.default.validation.caCertificateRefs[1] InvalidCACertificateRef',
      'Gateway default/gw spec.tls.frontend.default.validation.caCertificateRefs[2] InvalidCACertificateRef',
      'Gateway default/gw spec.tls.frontend.default.validation.caCertificateRefs[3] InvalidCACertificateKind',
    ]) assert.ok(result.problems.includes(expected), `${expected} in\n${result.problems.join('\n')}`);
    assert.ok(!status(result).conditions.some((c) => c.type === 'InsecureFrontendValidationMode'));
  });

  it('keeps serving with the valid references when some are bad (ResolvedRefs=False)', () => {
    const result = run([...base(), withFrontend({ default: { validation: { caCertificateRefs: [ref('missing'), ref('ca')] } } })]);
    assert.deepEqual(listener(result, 'a').slice(0, 3), ['Accepted=True/Accepted', 'Programmed=True/Programmed', 'ResolvedRefs=False/InvalidCACertificateRef']);
    assert.equal(result.table.clientValidation?.length, 2);
  });

  it('needs a ReferenceGrant from Gateway to ConfigMap for a CA in another namespace', () => {
    const objects = [...base(), caMap('shared', ca.certPem, 'pki'), withFrontend({ default: { validation: { caCertificateRefs: [ref('shared', { namespace: 'pki' })] } } })];
    const denied = run(objects);
    assert.equal(listener(denied, 'a')[2], 'ResolvedRefs=False/RefNotPermitted');
    assert.equal(listener(denied, 'a')[0], 'Accepted=False/NoValidCACertificate');
    const granted = run([...objects, { ...referenceGrant('ca', 'pki', { kind: 'Gateway', namespace: 'default' }, { kind: 'ConfigMap' }) }]);
    assert.equal(listener(granted, 'a')[2], 'ResolvedRefs=True/ResolvedRefs');
    assert.equal(granted.table.clientValidation?.length, 2);
  });
});
