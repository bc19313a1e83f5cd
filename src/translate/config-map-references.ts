// The ConfigMaps an object's configuration names: the CA bundles of BackendTLSPolicies
// (validation.caCertificateRefs). A cluster source lists no ConfigMaps (they hold every application's
// configuration), so it reads these by name (sources/kubernetes), as it does for named Secrets.
// References translation would refuse (another kind, a malformed name) are left out, so that they are
// not fetched either.
import type { AnyKubeObject } from '../kube/types.ts';
import { OBJECT_NAME } from '../middleware/config/index.ts';
import { arrayField, field, stringField } from './shape.ts';

/** "namespace/name" of every ConfigMap `object` names (none for kinds that name none). */
export function configMapReferences(object: AnyKubeObject): string[] {
  if (object.kind !== 'BackendTLSPolicy') return [];
  const namespace = object.metadata.namespace ?? 'default';
  const refs = new Set<string>();
  for (const ref of arrayField(field(field(object, 'spec'), 'validation'), 'caCertificateRefs')) {
    const name = stringField(ref, 'name');
    if ((stringField(ref, 'group') ?? '') !== '' || stringField(ref, 'kind') !== 'ConfigMap' || name === undefined || !OBJECT_NAME.test(name)) continue;
    refs.add(`${namespace}/${name}`);
  }
  return [...refs];
}
