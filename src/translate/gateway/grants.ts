// ReferenceGrant: a reference from a route (or Gateway) in one namespace to an object in another is
// allowed only when a ReferenceGrant in the target's namespace lists the source in `from` and the
// target kind (and name, when given) in `to`. v1 and v1beta1 grants have the same shape.
import type { ReferenceGrant } from '../../kube/types.ts';
import { arrayField, field, stringField } from '../shape.ts';

export interface GrantQuery {
  fromGroup: string;
  fromKind: string;
  fromNamespace: string;
  toGroup: string;
  toKind: string;
  toNamespace: string;
  toName: string;
}

export class ReferenceGrants {
  private readonly byNamespace = new Map<string, ReferenceGrant[]>();

  constructor(grants: readonly ReferenceGrant[]) {
    for (const grant of grants) {
      const namespace = grant.metadata.namespace ?? 'default';
      const list = this.byNamespace.get(namespace);
      if (list) list.push(grant);
      else this.byNamespace.set(namespace, [grant]);
    }
  }

  /** Same-namespace references are always allowed. */
  allows(q: GrantQuery): boolean {
    if (q.fromNamespace === q.toNamespace) return true;
    for (const grant of this.byNamespace.get(q.toNamespace) ?? []) {
      const spec = field(grant, 'spec');
      const from = arrayField(spec, 'from').some((f) =>
        (stringField(f, 'group') ?? '') === q.fromGroup && stringField(f, 'kind') === q.fromKind && stringField(f, 'namespace') === q.fromNamespace);
      if (!from) continue;
      const to = arrayField(spec, 'to').some((t) => {
        const name = stringField(t, 'name');
        return (stringField(t, 'group') ?? '') === q.toGroup && stringField(t, 'kind') === q.toKind && (name === undefined || name === '' || name === q.toName);
      });
      if (to) return true;
    }
    return false;
  }
}
