// deploy/: the plain manifests validate against the Kubernetes object schemas (test/deploy/
// kubernetes-schema.json), fit together (names, labels, ports, flags Tideway accepts), and follow the
// rules for running Tideway in a cluster; the Dockerfile builds and runs the way the Deployment expects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import path from 'node:path';
import { parseSettings } from '../../src/settings/settings.ts';
import { parseDuration } from '../../src/lib/units.ts';
import { CONTROLLER_NAME, GATEWAY_CONTROLLER_NAME } from '../../src/kube/constants.ts';
import { leaseName } from '../../src/status/index.ts';
import { DEPLOY, ROOT, loadYaml, plainManifestFiles, plainObjects, schemaErrors, type K8sObject } from './load.ts';

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
}

test('every object in deploy/*.yaml validates against the Kubernetes schema of its kind', () => {
  const objects = plainObjects();
  assert.deepEqual(objects.map((o) => o.kind).sort(), [
    'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'IngressClass', 'Namespace', 'Role', 'RoleBinding', 'Service', 'ServiceAccount',
  ]);
  assert.deepEqual(objects.flatMap(schemaErrors), []);
  assert.deepEqual(schemaErrors(loadYaml(path.join(DEPLOY, 'kustomization.yaml'))[0]), []);
});

test('the schema refuses what the API server would refuse', () => {
  const deployment = only(plainObjects(), 'Deployment');
  const broken = (mutate: (d: any) => void): string[] => {
    const copy = structuredClone(deployment);
    mutate(copy);
    return schemaErrors(copy);
  };
  const container = (d: any) => d.spec.template.spec.containers[0];
  const cases: [string, (d: any) => void, RegExp][] = [
    ['no selector', (d) => delete d.spec.selector, /must have required property 'selector'/],
    ['a misspelt field', (d) => { d.spec.replica = 2; }, /must NOT have additional properties \(replica\)/],
    ['a port out of range', (d) => { container(d).ports[0].containerPort = 70000; }, /containerPort must be <= 65535/],
    ['a port name too long', (d) => { container(d).ports[0].name = 'a-very-long-port-name'; }, /ports\/0\/name must NOT have more than 15 characters/],
    ['value and valueFrom', (d) => { container(d).env[0].value = 'x'; }, /env\/0 must NOT be valid/],
    ['two probe handlers', (d) => { container(d).livenessProbe.tcpSocket = { port: 9901 }; }, /livenessProbe must match exactly one schema/],
    ['a bad pull policy', (d) => { container(d).imagePullPolicy = 'Sometimes'; }, /imagePullPolicy must be equal to one of the allowed values/],
    ['a bad quantity', (d) => { container(d).resources.limits.memory = '512 MB'; }, /resources\/limits\/memory/],
    ['an upper-case name', (d) => { d.metadata.name = 'Tideway'; }, /metadata\/name must match pattern/],
  ];
  for (const [what, mutate, expected] of cases) {
    const errors = broken(mutate);
    assert.ok(errors.some((e) => expected.test(e)), `${what}: ${errors.join('\n')}`);
  }
  assert.match(schemaErrors({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n' }, spec: { ports: [{ port: 80 }, { port: 443 }] } }).join('\n'), /must have required property 'name'/);
  assert.match(schemaErrors({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] }).join('\n'), /must have required property 'namespace'/);
  assert.match(schemaErrors({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }).join('\n'), /kind not described/);
});

test('kustomization.yaml applies every manifest in deploy/ and the Middleware CRD', () => {
  const kustomization = loadYaml(path.join(DEPLOY, 'kustomization.yaml'))[0]!;
  assert.deepEqual([...kustomization.resources].sort(), [...plainManifestFiles(), 'crds/middleware.yaml'].sort());
  for (const file of plainManifestFiles()) assert.ok(existsSync(path.join(DEPLOY, file)), file);
});

test('kubectl kustomize deploy/ builds every object (when kubectl is installed)', (t) => {
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', DEPLOY], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      t.skip('kubectl is not installed');
      return;
    }
    throw error;
  }
  const built = parseAllDocuments(output).map((d) => d.toJS() as K8sObject);
  const key = (o: K8sObject) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  assert.deepEqual(built.map(key).sort(), [...plainObjects(), ...loadYaml(path.join(DEPLOY, 'crds/middleware.yaml'))].map(key).sort());
  assert.deepEqual(built.flatMap(schemaErrors), []);
});

test('the Middleware CRD (deploy/crds/middleware.yaml, from the middleware room) defines tideway.dev/v1alpha1 Middleware', (t) => {
  const file = path.join(DEPLOY, 'crds/middleware.yaml');
  if (!existsSync(file)) {
    t.skip('deploy/crds/middleware.yaml is not written yet: `kubectl apply -k deploy/` fails until it is');
    return;
  }
  const [crd] = loadYaml(file) as [K8sObject];
  assert.deepEqual(schemaErrors(crd), []);
  assert.equal(crd.spec.group, 'tideway.dev');
  assert.equal(crd.spec.names.plural, 'middlewares');
  assert.equal(crd.spec.names.kind, 'Middleware');
  assert.equal(crd.spec.scope, 'Namespaced');
  assert.ok(crd.spec.versions.some((v: any) => v.name === 'v1alpha1' && v.served));
});

test('the Deployment runs node on the built entry point with flags Tideway accepts, and the objects fit together', () => {
  const objects = plainObjects();
  const deployment = only(objects, 'Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  // SIGTERM must reach node: never npm or npx in between (they do not pass it on, so draining never starts).
  assert.deepEqual(container.command, ['node', 'dist/cli/main.js']);
  const settings = parseSettings(container.args, {});
  assert.deepEqual(settings.manifests, [], 'cluster mode');
  assert.equal(deployment.spec.replicas, 2);
  assert.deepEqual(deployment.spec.template.metadata.labels, { ...deployment.spec.template.metadata.labels, ...deployment.spec.selector.matchLabels }, 'the selector matches the pods');

  const ports = Object.fromEntries(container.ports.map((p: any) => [p.name, p.containerPort]));
  assert.deepEqual(ports, { http: settings.httpPort, https: settings.httpsPort, admin: settings.adminPort });
  assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'admin' });
  assert.deepEqual(container.startupProbe.httpGet, { path: '/healthz', port: 'admin' });
  assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'admin' });

  const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? e.value]));
  assert.deepEqual(env, { POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', NODE_OPTIONS: '--max-old-space-size=256' });
  const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS)![1]);
  // The primary and every worker cap their heap: all of them at the cap still fit the limit.
  assert.ok((settings.workers + 1) * heapMiB * 2 ** 20 < 1024 ** 3, 'every process\'s heap cap fits the memory limit');
  assert.equal(container.resources.limits.memory, '1Gi');
  // docs/deploy.md "Sizing": a pod with 2 workers measured ~500 MiB at 1,000 Ingresses.
  assert.equal(container.resources.requests.memory, '512Mi');

  const preStopSeconds = Number(container.lifecycle.preStop.exec.command[1]);
  assert.deepEqual(container.lifecycle.preStop.exec.command, ['sleep', String(preStopSeconds)]);
  assert.ok(pod.terminationGracePeriodSeconds * 1000 > settings.drainTimeoutMs + preStopSeconds * 1000,
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} must exceed preStop ${preStopSeconds} s + drain ${settings.drainTimeoutMs} ms`);
  assert.equal(settings.drainTimeoutMs, parseDuration('30s'));

  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.ok(pod.securityContext.runAsUser > 0);
  assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  assert.ok(container.resources.requests.cpu && container.resources.requests.memory && container.resources.limits.memory);
  assert.ok(settings.httpPort >= 1024 && settings.httpsPort! >= 1024 && settings.adminPort >= 1024, 'no privileged ports: no NET_BIND_SERVICE needed');
  assert.equal(settings.workers, 2);

  const serviceAccount = only(objects, 'ServiceAccount');
  assert.equal(pod.serviceAccountName, serviceAccount.metadata.name);
  const service = only(objects, 'Service');
  assert.equal(service.spec.type, 'LoadBalancer');
  assert.deepEqual(service.spec.ports.map((p: any) => [p.port, p.targetPort]), [[80, 'http'], [443, 'https']]);
  for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(deployment.spec.template.metadata.labels[k], v, 'the Service selects the pods');
  assert.equal(settings.publishService, `${service.metadata.namespace}/${service.metadata.name}`);

  const ingressClass = only(objects, 'IngressClass');
  assert.equal(ingressClass.spec.controller, CONTROLLER_NAME);
  assert.equal(ingressClass.metadata.name, settings.ingressClass);
  const role = only(objects, 'Role');
  assert.ok(role.rules.some((r: any) => r.resources.includes('leases') && r.resourceNames?.includes(leaseName(settings.ingressClass))));
  const namespace = only(objects, 'Namespace').metadata.name;
  for (const o of objects.filter((x) => x.metadata.namespace !== undefined)) assert.equal(o.metadata.namespace, namespace, `${o.kind} ${o.metadata.name}`);
});

test('Dockerfile: multi-stage, npm ci and npm run build, runtime node:22-slim with dist/ and production node_modules, non-root, node as the command', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const lines = dockerfile.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages = lines.filter((l) => /^FROM /i.test(l));
  assert.equal(stages.length, 2, stages.join('\n'));
  const runtimeStart = lines.indexOf(stages[1]!);
  const build = lines.slice(0, runtimeStart);
  const runtime = lines.slice(runtimeStart);
  assert.match(stages[1]!, /^FROM node:22-slim\b/);
  assert.ok(build.some((l) => /^RUN npm ci\b/.test(l)), 'npm ci');
  assert.ok(build.some((l) => /\bnpm run build\b/.test(l)), 'npm run build');
  assert.ok(build.some((l) => /\bnpm prune --omit=dev\b/.test(l)), 'dev dependencies pruned');
  const copies = runtime.filter((l) => /^COPY /.test(l));
  // dist/, production node_modules, package.json (type: module), and the dashboard's static files,
  // which dist/admin/dashboard.js reads from src/admin/dashboard/.
  assert.deepEqual(copies.map((l) => l.split(/\s+/).slice(-1)[0]).sort(), ['./', './dist', './node_modules', './src/admin/dashboard'].sort());
  assert.ok(existsSync(path.join(ROOT, 'src/admin/dashboard/index.html')), 'the dashboard files are where the image copies them from');
  assert.ok(copies.every((l) => l.startsWith('COPY --from=build')), 'the runtime stage takes only build outputs');
  const user = runtime.find((l) => /^USER /.test(l));
  assert.match(user ?? '', /^USER [1-9][0-9]*:[1-9][0-9]*$/, 'numeric non-root user (runAsNonRoot can check it)');
  const cmd = runtime.find((l) => /^(CMD|ENTRYPOINT) /.test(l));
  assert.equal(cmd, 'CMD ["node", "dist/cli/main.js"]');
  assert.ok(!runtime.some((l) => /^(CMD|ENTRYPOINT).*\bnp[mx]\b/.test(l)));

  const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const entry of ['node_modules', 'dist', '.git', 'test', 'bench']) assert.ok(ignored.includes(entry), `.dockerignore: ${entry}`);
  for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
    assert.ok(!ignored.includes(needed), `.dockerignore must not exclude ${needed}`);
    const copied = build.some((l) => /^COPY /.test(l) && l.split(/\s+/).includes(needed));
    assert.ok(copied, `the build stage copies ${needed}`);
  }
});

test('deploy/gateway-api/gatewayclass.yaml: a valid GatewayClass of controller tideway.dev/gateway-controller, outside the default kustomization', () => {
  const objects = loadYaml(path.join(DEPLOY, 'gateway-api/gatewayclass.yaml'));
  assert.deepEqual(objects.flatMap(schemaErrors), []);
  assert.deepEqual(objects.map((o) => [o.kind, o.spec.controllerName]), [['GatewayClass', GATEWAY_CONTROLLER_NAME]]);
  assert.deepEqual(schemaErrors({ ...objects[0], spec: { controllerName: 'no-slash' } }).length, 1, 'the schema refuses what the CRD refuses');
});
