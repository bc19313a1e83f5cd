// Reads the YAML in deploy/ and validates objects against test/deploy/kubernetes-schema.json (the
// Kubernetes object shapes deploy/ uses, after the API's OpenAPI), with ajv.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEPLOY = path.join(ROOT, 'deploy');
export const CHART = path.join(DEPLOY, 'helm/tideway');

export type K8sObject = Record<string, any> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any } };

/** The documents of a multi-document YAML file (empty ones, e.g. before a leading ---, skipped). */
export function loadYaml(file: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** The plain manifests: every deploy/*.yaml except kustomization.yaml. */
export function plainManifestFiles(): string[] {
  return readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
}

export function plainObjects(): K8sObject[] {
  return plainManifestFiles().flatMap((f) => loadYaml(path.join(DEPLOY, f)));
}

const schema = JSON.parse(readFileSync(path.join(ROOT, 'test/deploy/kubernetes-schema.json'), 'utf8'));
// strictRequired off: required lists in allOf branches name properties declared in the shared base.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
ajv.addSchema(schema);
const validators = new Map<string, ValidateFunction>();

/** Kinds the schema describes. */
export const KNOWN_KINDS = Object.keys(schema.$defs).filter((k) => /^[A-Z]/.test(k));

/** Schema errors of one object, as "Kind name: /path message" lines ([] when valid). */
export function schemaErrors(obj: unknown): string[] {
  const o = obj as Partial<K8sObject> | null;
  const kind = typeof o?.kind === 'string' ? o.kind : '';
  const name = `${kind || '(no kind)'} ${o?.metadata?.name ?? '(no name)'}`;
  if (!KNOWN_KINDS.includes(kind)) return [`${name}: kind not described by kubernetes-schema.json`];
  let validate = validators.get(kind);
  if (!validate) {
    validate = ajv.getSchema(`${schema.$id}#/$defs/${kind}`)!;
    validators.set(kind, validate);
  }
  if (validate(obj)) return [];
  return (validate.errors ?? []).map((e) => `${name}: ${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`);
}

/** One (apiGroup, resource, verb, namespace scope, resourceName) a rule set allows. */
export interface Permission { group: string; resource: string; verb: string; namespace: string | '*'; name: string | '*' }

/** Every permission granted to a ServiceAccount by the (Cluster)Roles bound to it in `objects`. */
export function permissionsOf(objects: K8sObject[], serviceAccount: { namespace: string; name: string }): Permission[] {
  const out: Permission[] = [];
  const bound = (b: K8sObject) => (b.subjects ?? []).some((s: any) => s.kind === 'ServiceAccount' && s.name === serviceAccount.name && s.namespace === serviceAccount.namespace);
  for (const binding of objects.filter((o) => (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') && bound(o))) {
    const role = objects.find((o) => o.kind === binding.roleRef.kind && o.metadata.name === binding.roleRef.name
      && (o.kind === 'ClusterRole' || o.metadata.namespace === binding.metadata.namespace));
    if (!role) throw new Error(`${binding.kind} ${binding.metadata.name} refers to a missing ${binding.roleRef.kind} ${binding.roleRef.name}`);
    const namespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace! : '*';
    for (const rule of role.rules ?? []) {
      for (const group of rule.apiGroups ?? []) for (const resource of rule.resources ?? []) for (const verb of rule.verbs) {
        for (const name of rule.resourceNames ?? ['*']) out.push({ group, resource, verb, namespace, name });
      }
    }
  }
  return out;
}

export function permissionKey(p: Permission): string {
  return `${p.group || 'core'} ${p.resource} ${p.verb} in ${p.namespace} name ${p.name}`;
}
