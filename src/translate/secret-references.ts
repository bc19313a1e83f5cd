// The Secrets an object's configuration names, other than TLS certificates: the users of basic auth
// (tideway.dev/auth-basic-secret, ingress-nginx's auth-secret), backend CAs (tideway.dev/backend-ca-secret,
// ingress-nginx's proxy-ssl-secret) and the Secrets of Middleware objects. A cluster source lists only
// TLS Secrets, so it fetches these by name (sources/kubernetes): what translate() would look up, and
// nothing else. References translation would refuse (another namespace without --allow-cross-namespace,
// a malformed name) are left out, so that they are not fetched either.
import type { AnyKubeObject } from '../kube/types.ts';
import { middlewareSecretNames, OBJECT_NAME } from '../middleware/config/index.ts';
import { CA_SECRET_ANNOTATION } from './backend-tls.ts';
import type { ObjectDiagnostics } from './diagnostics.ts';
import { readNginxAnnotations, NO_NGINX_GLOBALS } from './ingress-nginx/index.ts';
import { resolveTranslateOptions, type TranslateOptionsInput } from './options.ts';
import { stringMap } from './shape.ts';

const BASIC_AUTH_ANNOTATION = 'tideway.dev/auth-basic-secret';

/** Diagnostics of the nginx mapping are translate()'s to report; here only its result counts. */
const SILENT: ObjectDiagnostics = { kind: 'Ingress', object: '', error: () => {}, warning: () => {} };

/** "namespace/name" of "name" or "namespace/name" in `namespace`, or undefined when translation would refuse it. */
export function objectReference(text: unknown, namespace: string, crossNamespace: boolean): string | undefined {
  if (typeof text !== 'string') return undefined;
  const value = text.trim();
  const slash = value.indexOf('/');
  const ns = slash < 0 ? namespace : value.slice(0, slash);
  const name = slash < 0 ? value : value.slice(slash + 1);
  if (!OBJECT_NAME.test(name) || !OBJECT_NAME.test(ns)) return undefined;
  if (ns !== namespace && !crossNamespace) return undefined;
  return `${ns}/${name}`;
}

/**
 * "namespace/name" of every non-TLS Secret `object` names (none for kinds that name none). The nginx
 * annotations are read through the same mapping translation uses, so that both agree on what they mean.
 */
export function secretReferences(object: AnyKubeObject, options: TranslateOptionsInput = {}): string[] {
  const namespace = object.metadata.namespace ?? 'default';
  const refs = new Set<string>();
  const add = (text: unknown, crossNamespace: boolean): void => {
    const ref = objectReference(text, namespace, crossNamespace);
    if (ref !== undefined) refs.add(ref);
  };
  if (object.kind === 'Middleware') {
    for (const name of middlewareSecretNames((object as { spec?: unknown }).spec)) add(name, false);
  } else if (object.kind === 'Ingress') {
    const resolved = resolveTranslateOptions(options);
    const annotations = stringMap(object.metadata.annotations);
    const views = [annotations];
    if (resolved.ingressNginxCompat && Object.keys(annotations).some((key) => key.startsWith(`${resolved.nginxAnnotationPrefix}/`))) {
      views.push(stringMap(readNginxAnnotations(annotations, resolved.nginxAnnotationPrefix, namespace, NO_NGINX_GLOBALS, SILENT).annotations));
    }
    for (const view of views) {
      add(view[BASIC_AUTH_ANNOTATION], resolved.allowCrossNamespace);
      add(view[CA_SECRET_ANNOTATION], false);
    }
  }
  return [...refs];
}
