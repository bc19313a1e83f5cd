// deploy/helm/tideway: there is no helm binary here, so the chart is checked without rendering it:
// every value in values.yaml is used by a template and every .Values reference exists; the hand-
// rendered default output (rendered-default.yaml) validates against the Kubernetes schemas and is
// equivalent to the plain manifests (same permissions, same container, pod and Service settings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CHART, ROOT, loadYaml, permissionKey, permissionsOf, plainObjects, schemaErrors, type K8sObject } from './load.ts';

const values = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const templates = readdirSync(path.join(CHART, 'templates')).map((f) => readFileSync(path.join(CHART, 'templates', f), 'utf8')).join('\n');
const rendered = () => loadYaml(path.join(CHART, 'rendered-default.yaml'));

/** Paths of values.yaml down to leaves; an empty map or list, or a list, is a leaf. */
function valuePaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => valuePaths(v, prefix ? `${prefix}.${k}` : k));
}

function exists(dotted: string): boolean {
  let cur: unknown = values;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in cur)) return false;
    cur = (cur as Record<string, unknown>)[part];
  }
  return true;
}

test('every value in values.yaml is used by a template, and every .Values reference exists', () => {
  const referenced = [...new Set([...templates.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)].map((m) => m[1]!.replace(/\.$/, '')))];
  // A reference to a map (toYaml .Values.resources) uses everything under it.
  const unused = valuePaths(values).filter((p) => !referenced.some((r) => p === r || p.startsWith(`${r}.`)));
  assert.deepEqual(unused, [], 'values nobody reads');
  assert.deepEqual(referenced.filter((r) => !exists(r)), [], 'references to values that do not exist');
  for (const expected of ['replicaCount', 'image.repository', 'image.tag', 'resources', 'ingressClass.name', 'ingressClass.default', 'watchNamespaces',
    'publishService.enabled', 'extraArgs', 'service.type', 'service.annotations', 'podAnnotations', 'nodeSelector', 'tolerations', 'affinity', 'metrics.port']) {
    assert.ok(exists(expected), `values.yaml offers ${expected}`);
  }
});

test('templates use only the Helm template forms this chart was written with (no typos in actions)', () => {
  // Unbalanced braces or a control structure without end would make helm fail; counted per file.
  for (const file of readdirSync(path.join(CHART, 'templates'))) {
    const text = readFileSync(path.join(CHART, 'templates', file), 'utf8');
    assert.equal((text.match(/\{\{/g) ?? []).length, (text.match(/\}\}/g) ?? []).length, `${file}: {{ and }} balance`);
    const opened = (text.match(/\{\{-?\s*(if|with|range|define)\b/g) ?? []).length;
    const closed = (text.match(/\{\{-?\s*end\s*-?\}\}/g) ?? []).length;
    assert.equal(opened, closed, `${file}: every if/with/range/define has its end`);
    for (const m of text.matchAll(/include "([^"]+)"/g)) assert.match(templates, new RegExp(`define "${m[1]!.replace('.', '\\.')}"`), `${file}: ${m[1]} is defined`);
  }
});

test('rendered-default.yaml validates against the Kubernetes schemas', () => {
  const objects = rendered();
  assert.deepEqual(objects.flatMap(schemaErrors), []);
  assert.deepEqual(objects.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'IngressClass', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
});

test('with the default values the chart is equivalent to the plain manifests', () => {
  const plain = plainObjects();
  const chart = rendered();
  const sa = { namespace: 'tideway', name: 'tideway' };
  const keys = (objects: K8sObject[]) => permissionsOf(objects, sa).map(permissionKey).sort();
  assert.deepEqual(keys(chart), keys(plain), 'the same permissions');

  const of = (objects: K8sObject[], kind: string) => objects.find((o) => o.kind === kind)!;
  const podSpec = (objects: K8sObject[]) => {
    const spec = structuredClone(of(objects, 'Deployment').spec.template.spec);
    spec.containers[0].image = spec.containers[0].image.replace(/^"|"$/g, '');
    return spec;
  };
  assert.deepEqual(podSpec(chart), podSpec(plain), 'the same pod: container, probes, security, volumes, affinity');
  assert.equal(of(chart, 'Deployment').spec.replicas, of(plain, 'Deployment').spec.replicas);
  assert.deepEqual(of(chart, 'Deployment').spec.strategy, of(plain, 'Deployment').spec.strategy);
  assert.deepEqual(of(chart, 'Deployment').spec.template.metadata.annotations, of(plain, 'Deployment').spec.template.metadata.annotations);
  const serviceSpec = (objects: K8sObject[]) => ({ ...of(objects, 'Service').spec, selector: undefined });
  assert.deepEqual(serviceSpec(chart), serviceSpec(plain));
  assert.deepEqual(of(chart, 'IngressClass').spec, of(plain, 'IngressClass').spec);
  // Each names and selects within itself.
  const deployment = of(chart, 'Deployment');
  for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) assert.equal(deployment.spec.template.metadata.labels[k], v);
  for (const [k, v] of Object.entries(of(chart, 'Service').spec.selector)) assert.equal(deployment.spec.template.metadata.labels[k], v);
});

test('Chart.yaml: appVersion is the package version and the image tag; the chart ships the Middleware CRD from deploy/crds', () => {
  const chart = parse(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8'));
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(chart.apiVersion, 'v2');
  assert.equal(chart.name, 'tideway');
  assert.equal(chart.appVersion, pkg.version);
  const image = plainObjects().find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0].image;
  assert.equal(image, `tideway:${pkg.version}`);
  assert.equal(readlinkSync(path.join(CHART, 'crds/middleware.yaml')), '../../../crds/middleware.yaml');
  assert.match(readFileSync(path.join(CHART, '.helmignore'), 'utf8'), /^rendered-default\.yaml$/m);
});
