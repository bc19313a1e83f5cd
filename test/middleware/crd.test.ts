// The Middleware CRD: a structural OpenAPI v3 schema (what apiextensions.k8s.io/v1 requires), which
// accepts every example of docs/middleware.md and rejects what Tideway's own validation rejects, so
// that a Middleware behaves the same applied to a cluster or read from a manifest file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { middlewareObjectSpec, SPEC_KEYS, type SpecContext, type SpecProblem } from '../../src/middleware/config/index.ts';

type Schema = Record<string, unknown>;

const crd = parse(readFileSync('deploy/crds/middleware.yaml', 'utf8')) as Schema & { spec: { group: string; names: Schema; scope: string; versions: { name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: Schema } }[] } };
const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;

/** Kubernetes prunes unknown fields and kubectl refuses them (strict field validation): so do we here. */
function withoutUnknownFields(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutUnknownFields);
  if (typeof node !== 'object' || node === null) return node;
  const copy: Schema = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, withoutUnknownFields(v)]));
  if (copy.type === 'object' && copy.properties !== undefined && copy.additionalProperties === undefined && copy['x-kubernetes-preserve-unknown-fields'] !== true) copy.additionalProperties = false;
  return copy;
}

function compile(s: Schema): ValidateFunction {
  const ajv = new Ajv({ strict: true, allErrors: true });
  ajv.addKeyword({ keyword: 'x-kubernetes-preserve-unknown-fields' });
  ajv.addKeyword({ keyword: 'x-kubernetes-validations' });
  ajv.addKeyword({ keyword: 'x-kubernetes-int-or-string', errors: false, validate: (on: boolean, data: unknown) => !on || Number.isInteger(data) || typeof data === 'string' });
  return ajv.compile(s);
}

const validate = compile(withoutUnknownFields(schema) as Schema);

function schemaErrors(object: unknown): string[] {
  return validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** What translate() needs, answering every Secret and Service lookup. */
function fakeContext(problems: SpecProblem[]): SpecContext {
  const values: Record<string, string> = { auth: 'alice:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=', password: 'redis-pass', secret: 's'.repeat(40) };
  return {
    namespace: 'shop',
    allowCrossNamespace: false,
    secret: (_ns, _name, key) => (values[key] !== undefined ? { value: values[key]! } : { problem: `no ${key}`, missing: false }),
    secretData: () => ({ data: values }),
    backend: (ns, backend) => {
      const service = (backend as { service: { name: string; port: { number?: number; name?: string } } }).service;
      return { key: `${ns}/${service.name}:${service.port.number ?? service.port.name}` };
    },
    problem: (p) => problems.push(p),
    warning: () => {},
  };
}

function translationProblems(object: { metadata: { name: string }; spec: unknown }): string[] {
  const problems: SpecProblem[] = [];
  middlewareObjectSpec(object.spec, fakeContext(problems), { field: 'metadata.annotations["tideway.dev/middlewares"]', object: `Middleware shop/${object.metadata.name}` });
  return problems.map((p) => p.message);
}

const docExamples = [...readFileSync('docs/middleware.md', 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)]
  .flatMap((m) => parseAllDocuments(m[1]!).map((d) => d.toJS() as { kind?: string; metadata: { name: string }; spec: Record<string, unknown> }))
  .filter((doc) => doc?.kind === 'Middleware');

describe('Middleware CRD', () => {
  it('is an apiextensions.k8s.io/v1 CRD for tideway.dev/v1alpha1 Middleware, namespaced', () => {
    assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
    assert.equal(crd.kind, 'CustomResourceDefinition');
    assert.equal((crd.metadata as Schema).name, 'middlewares.tideway.dev');
    assert.equal(crd.spec.group, 'tideway.dev');
    assert.equal(crd.spec.scope, 'Namespaced');
    assert.deepEqual([crd.spec.names.kind, crd.spec.names.plural, crd.spec.names.singular], ['Middleware', 'middlewares', 'middleware']);
    assert.deepEqual(crd.spec.versions.map((v) => [v.name, v.served, v.storage]), [['v1alpha1', true, true]]);
  });

  it('has a structural schema: every node typed, arrays with items, required fields declared, no $ref', () => {
    const problems: string[] = [];
    const walk = (node: Schema, at: string): void => {
      const intOrString = node['x-kubernetes-int-or-string'] === true;
      if (node.type === undefined && !intOrString) problems.push(`${at}: no type`);
      if (node.$ref !== undefined) problems.push(`${at}: $ref is not allowed`);
      if (node.type === 'array' && node.items === undefined) problems.push(`${at}: array without items`);
      if (node.properties !== undefined && node.additionalProperties !== undefined) problems.push(`${at}: properties and additionalProperties together`);
      for (const name of (node.required as string[] | undefined) ?? []) if (!(node.properties as Schema | undefined)?.[name]) problems.push(`${at}: required ${name} is not a property`);
      for (const [name, child] of Object.entries((node.properties as Record<string, Schema> | undefined) ?? {})) walk(child, `${at}.${name}`);
      if (typeof node.items === 'object') walk(node.items as Schema, `${at}[]`);
      if (typeof node.additionalProperties === 'object') walk(node.additionalProperties as Schema, `${at}{}`);
      for (const rule of (node['x-kubernetes-validations'] as { rule?: unknown; message?: unknown }[] | undefined) ?? []) {
        if (typeof rule.rule !== 'string' || typeof rule.message !== 'string') problems.push(`${at}: a validation needs rule and message`);
      }
    };
    walk(schema, 'openAPIV3Schema');
    assert.deepEqual(problems, []);
  });

  it('has a spec key for every Middleware key Tideway reads, and no other', () => {
    const keys = Object.keys(((schema.properties as Record<string, Schema>).spec!.properties as Schema));
    assert.deepEqual(keys.sort(), Object.keys(SPEC_KEYS).sort());
  });

  it('docs/middleware.md has an example for every key', () => {
    const covered = new Set(docExamples.flatMap((doc) => Object.keys(doc.spec)));
    assert.deepEqual([...Object.keys(SPEC_KEYS)].filter((k) => !covered.has(k)), []);
  });

  for (const example of docExamples) {
    it(`accepts the docs example ${example.metadata.name}, and so does Tideway`, () => {
      assert.deepEqual(schemaErrors(example), []);
      assert.deepEqual(translationProblems(example), []);
    });
  }

  const rejected: [string, Record<string, unknown>][] = [
    ['two keys', { rateLimit: { requestsPerSecond: 1 }, cors: { allowOrigins: ['*'] } }],
    ['no key', {}],
    ['unknown key', { rateLimiting: { requestsPerSecond: 1 } }],
    ['unknown field', { ipAllowList: { sourceRange: ['10.0.0.0/8'], depth: 2 } }],
    ['missing required field', { rateLimit: { burst: 5 } }],
    ['rate below the minimum', { rateLimit: { requestsPerSecond: 0 } }],
    ['bad rate-limit key', { rateLimit: { requestsPerSecond: 1, key: 'cookie:x' } }],
    ['burst not whole', { rateLimit: { requestsPerSecond: 1, burst: 1.5 } }],
    ['bad failure mode', { rateLimit: { requestsPerSecond: 1, failureMode: 'maybe' } }],
    ['empty source range', { ipDenyList: { sourceRange: [] } }],
    ['alg none', { jwt: { algorithms: ['none'], jwksUrl: 'https://a.test/jwks' } }],
    ['bad duration', { jwt: { algorithms: ['RS256'], jwksUrl: 'https://a.test/jwks', clockSkew: 'soon' } }],
    ['redirect status', { redirect: { url: '/x', statusCode: 200 } }],
    ['redirect scheme', { redirect: { scheme: 'ftp' } }],
    ['origin with a path', { cors: { allowOrigins: ['https://a.test/app'] } }],
    ['header map of numbers', { headers: { response: { set: { 'X-A': 1 } } } }],
    ['relative strip prefix', { rewrite: { stripPrefix: ['api'] } }],
    ['gzip level', { compress: { gzipLevel: 10 } }],
    ['encoding', { compress: { encodings: ['deflate'] } }],
    ['same site', { affinity: { sameSite: 'lax' } }],
    ['plugin name', { plugin: { name: 'My_Plugin' } }],
    ['plugin without name', { plugin: { config: {} } }],
    ['forward auth url', { forwardAuth: { url: 'auth:8080' } }],
    ['basic auth without secret', { basicAuth: { realm: 'x' } }],
  ];
  for (const [why, spec] of rejected) {
    it(`rejects, in the schema and in Tideway: ${why}`, () => {
      const object = { apiVersion: 'tideway.dev/v1alpha1', kind: 'Middleware', metadata: { name: 'bad' }, spec };
      assert.notDeepEqual(schemaErrors(object), [], 'the schema accepts it');
      assert.notDeepEqual(translationProblems(object), [], 'Tideway accepts it');
    });
  }

  it('keeps plugin configuration as written', () => {
    const object = { apiVersion: 'tideway.dev/v1alpha1', kind: 'Middleware', metadata: { name: 'p' }, spec: { plugin: { name: 'add-header', config: { nested: { any: [1, 'two'] } } } } };
    assert.deepEqual(schemaErrors(object), []);
  });
});
