// The ConfigMaps an object's configuration names: the CA bundles of BackendTLSPolicies
// (validation.caCertificateRefs) and of Gateways' client certificate validation
// (spec.tls.frontend.default and perPort[].tls, validation.caCertificateRefs, which may name another
// namespace: translation then asks for a ReferenceGrant). A cluster source lists no ConfigMaps (they hold every application's
// configuration), so it reads these by name (sources/kubernetes), as it does for named Secrets.
// References translation would refuse (another kind, a malformed name) are left out, so that they are
// not fetched either.
import type { AnyKubeObject } from '../kube/types.ts';
import { OBJECT_NAME } from '../middleware/config/index.ts';
import { arrayField, field, stringField } from './shape.ts';

/** "namespace/name" of every ConfigMap `object` names (none for kinds that name none). */
export function configMapReferences(object: AnyKubeObject): string[] {
  const namespace = object.metadata.namespace ?? 'default';
  const spec = field(object, 'spec');
  const refs = new Set<string>();
  const add = (validation: unknown, crossNamespace: boolean): void => {
    for (const ref of arrayField(validation, 'caCertificateRefs')) {
      const name = stringField(ref, 'name');
      const ns = crossNamespace ? (stringField(ref, 'namespace') ?? namespace) : namespace;
      if ((stringField(ref, 'group') ?? '') !== '' || stringField(ref, 'kind') !== 'ConfigMap' || name === undefined || !OBJECT_NAME.test(name) || !OBJECT_NAME.test(ns)) continue;
      refs.add(`${ns}/${name}`);
    }
  };
  if (object.kind === 'BackendTLSPolicy') add(field(spec, 'validation'), false);
  if (object.kind === 'Gateway') {
    const frontend = field(field(spec, 'tls'), 'frontend');
    add(field(field(frontend, 'default'), 'validation'), true);
    for (const entry of arrayField(frontend, 'perPort')) add(field(field(entry, 'tls'), 'validation'), true);
  }
  return [...refs];
}
