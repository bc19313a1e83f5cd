// Which Ingresses are Tideway's (DESIGN.md "Class"):
//   - spec.ingressClassName names an IngressClass whose spec.controller is ours;
//   - else the legacy annotation kubernetes.io/ingress.class equals our class name (the field wins
//     when both are set, as the API documents);
//   - else, with neither, when one of our IngressClasses is marked as the cluster default.
// Other classes are ignored without a word; a missing class only gets a warning when its name is
// ours, since that Ingress was most likely meant for Tideway.
import { DEFAULT_CLASS_ANNOTATION, LEGACY_CLASS_ANNOTATION } from '../kube/constants.ts';
import type { Ingress, IngressClass } from '../kube/types.ts';
import type { Lookups } from './cluster-index.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';
import type { TranslateOptions } from './options.ts';
import { field, isUnset, stringMap } from './shape.ts';

function isOurs(ingressClass: IngressClass, options: TranslateOptions): boolean {
  return field(ingressClass.spec, 'controller') === options.controllerName;
}

export function isServedByUs(ingress: Ingress, index: Lookups, options: TranslateOptions, diag: ObjectDiagnostics): boolean {
  const className = field(ingress.spec, 'ingressClassName');
  if (!isUnset(className)) {
    if (typeof className !== 'string') return false;
    const ingressClass = index.ingressClass(className);
    if (ingressClass === undefined) {
      if (className === options.ingressClass) {
        diag.warning('spec.ingressClassName', 'IngressClassNotFound', `IngressClass "${className}" does not exist; create it with spec.controller "${options.controllerName}" to have this Ingress served`);
      }
      return false;
    }
    return isOurs(ingressClass, options);
  }
  const legacy = stringMap(ingress.metadata.annotations)[LEGACY_CLASS_ANNOTATION];
  if (legacy) return legacy === options.ingressClass;
  return index.ingressClassList().some((c) => isOurs(c, options) && stringMap(c.metadata.annotations)[DEFAULT_CLASS_ANNOTATION] === 'true');
}
