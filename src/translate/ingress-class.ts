// Which Ingresses are Tideway's (DESIGN.md "Class"):
//   - spec.ingressClassName names an IngressClass whose spec.controller is ours;
//   - else the legacy annotation kubernetes.io/ingress.class equals our class name (the field wins
//     when both are set, as the API documents);
//   - else, with neither, when one of our IngressClasses is marked as the cluster default.
// With --ingress-nginx-compat, ingress-nginx's class counts as ours: IngressClasses whose controller is
// k8s.io/ingress-nginx and the legacy class name "nginx".
// Other classes are ignored without a word; a missing class only gets a warning when its name is
// ours, since that Ingress was most likely meant for Tideway.
import { DEFAULT_CLASS_ANNOTATION, LEGACY_CLASS_ANNOTATION } from '../kube/constants.ts';
import type { Ingress, IngressClass } from '../kube/types.ts';
import type { Lookups } from './cluster-index.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';
import { NGINX_CONTROLLER, NGINX_LEGACY_CLASS } from './ingress-nginx/class.ts';
import type { TranslateOptions } from './options.ts';
import { field, isUnset, stringMap } from './shape.ts';

function isOurs(ingressClass: IngressClass, options: TranslateOptions): boolean {
  const controller = field(ingressClass.spec, 'controller');
  return controller === options.controllerName || (options.ingressNginxCompat && controller === NGINX_CONTROLLER);
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
  if (legacy) return legacy === options.ingressClass || (options.ingressNginxCompat && legacy === NGINX_LEGACY_CLASS);
  return index.ingressClassList().some((c) => isOurs(c, options) && stringMap(c.metadata.annotations)[DEFAULT_CLASS_ANNOTATION] === 'true');
}
