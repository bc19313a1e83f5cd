// deploy/rbac.yaml grants exactly the calls Tideway makes: the gateway in cluster mode and the status
// side (leader election, Ingress status, Events) run against the API test server, every request is
// checked against the permissions the manifests give the tideway ServiceAccount, and every permission
// must have been used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiServer, type RequestRecord } from '../support/kube-api/index.ts';
import { kube, startClusterGateway } from '../support/cluster-gateway.ts';
import { startBackend } from '../support/backends.ts';
import { eventIntent, servedIngresses, startStatus } from '../../src/status/index.ts';
import { parseSettings } from '../../src/settings/settings.ts';
import { captureLog, FAST_STATUS, kubeConfig, waitFor } from '../status/helpers.ts';
import { permissionKey, permissionsOf, plainObjects, type Permission } from './load.ts';
import { gateway, gatewayClass, GW, httpRoute, listenerSet } from '../support/gateway-api.ts';

function allows(p: Permission, r: RequestRecord): boolean {
  const resource = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  return p.group === r.group && p.resource === resource && p.verb === r.verb
    && (p.namespace === '*' || p.namespace === r.namespace) && (p.name === '*' || p.name === r.name);
}

test('every API call Tideway makes is allowed by deploy/rbac.yaml, and every permission there is used', async (t) => {
  const objects = plainObjects();
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const settings = parseSettings(deployment.spec.template.spec.containers[0].args, { POD_NAMESPACE: 'tideway' });
  const permissions = permissionsOf(objects, { namespace: 'tideway', name: deployment.spec.template.spec.serviceAccountName });

  const api = new KubeApiServer({ acceptLoopbackEndpoints: true });
  await api.start();
  t.after(() => api.close());
  const backend = await startBackend('web-1');
  t.after(() => backend.close());
  const [publishNamespace, publishName] = settings.publishService!.split('/') as [string, string];
  api.create({ ...kube.service(publishNamespace, publishName), status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } } });
  api.create(kube.ingressClass(settings.ingressClass));
  api.create(kube.service('shop', 'web'));
  api.create(kube.endpointSlice('shop', 'web-a', 'web', backend.port, ['127.0.0.1']));
  api.create(kube.ingress('shop', 'web', 'shop.example.com', [{ path: '/', service: 'web' }, { path: '/broken', service: 'missing' }], { className: settings.ingressClass }));
  // A non-TLS Secret an annotation names: read by name, in its namespace.
  api.create({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'users', namespace: 'shop' }, stringData: { auth: 'alice:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=' } });
  const authIngress = kube.ingress('shop', 'auth', 'auth.example.com', [{ path: '/', service: 'web' }], { className: settings.ingressClass }) as { metadata: Record<string, unknown> };
  authIngress.metadata.annotations = { 'tideway.dev/auth-basic-secret': 'users' };
  api.create(authIngress as never);
  // Gateway API objects: read, and their status written.
  api.create(gatewayClass());
  api.create(gateway('gw', [{ name: 'http', hostname: 'gw.example.com' }], { namespace: 'shop', allowedListeners: { from: 'Same' } }));
  api.create(listenerSet('more', { name: 'gw' }, [{ name: 'http', hostname: 'more.example.com' }], { namespace: 'shop' }));
  api.create(httpRoute('web', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] }, { namespace: 'shop' }));
  api.create({ apiVersion: `${GW}/v1`, kind: 'GRPCRoute', metadata: { name: 'grpc', namespace: 'shop' }, spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] } });
  // A BackendTLSPolicy on the Service: its CA ConfigMap read by name, its status written.
  api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-ca', namespace: 'shop' }, data: { 'ca.crt': 'not a certificate' } });
  api.create({ apiVersion: `${GW}/v1`, kind: 'BackendTLSPolicy', metadata: { name: 'web', namespace: 'shop' }, spec: { targetRefs: [{ group: '', kind: 'Service', name: 'web' }], validation: { hostname: 'web.shop', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'web-ca' }] } } });

  // The data plane's reads.
  // Status runs below as its own instance, so that the test controls when Events recur.
  const gw = await startClusterGateway(api, ['--ingress-class', settings.ingressClass, '--update-status', 'false']);
  t.after(() => gw.close());
  await gw.until('first snapshot', () => gw.gateway.control.ready);
  await waitFor('the named Secret watched', () => api.count({ verb: 'watch', resource: 'secrets', namespace: 'shop' }) >= 1);
  await waitFor('the named ConfigMap watched', () => api.count({ verb: 'watch', resource: 'configmaps', namespace: 'shop' }) >= 1);
  const diagnostics = gw.gateway.control.currentDiagnostics;
  assert.ok(diagnostics.length > 0, 'the broken path gives a diagnostic, hence an Event');

  // An Event an earlier leader wrote for one of them: the new leader reads it instead of duplicating it.
  const first = eventIntent(diagnostics[0]!)!;
  api.create({ apiVersion: 'v1', kind: 'Event', metadata: { name: first.name, namespace: first.namespace }, involvedObject: first.involved, reason: first.reason, message: first.message, type: 'Warning', count: 1 });

  // The status side, as the runtime wires it: elect, publish the Service address, write Events.
  const status = await startStatus({ kubeConfig: kubeConfig(api), settings, log: captureLog().log, identity: 'tideway-0', timing: FAST_STATUS });
  t.after(() => status.close());
  const snapshot = (d: typeof diagnostics) => status.onSnapshot(servedIngresses(gw.gateway.control.currentSpec), d, gw.gateway.control.currentGatewayStatus);
  snapshot(diagnostics);
  await waitFor('leader', () => status.isLeader);
  await waitFor('status written', () => api.get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'shop', name: 'web' })?.status?.loadBalancer?.ingress?.[0]?.ip === '198.51.100.7');
  await waitFor('the existing Event adopted', () => api.count({ verb: 'get', resource: 'events' }) === 1);
  for (const resource of ['gatewayclasses', 'gateways', 'listenersets', 'httproutes', 'grpcroutes', 'backendtlspolicies']) {
    await waitFor(`${resource} status written`, () => api.count({ verb: 'patch', resource, subresource: 'status' }) >= 1);
  }
  snapshot([]);
  snapshot(diagnostics); // a recurrence: count++
  await waitFor('Event counted', () => api.count({ verb: 'patch', resource: 'events' }) >= 1);
  await status.close(); // releases the Lease: an update

  const calls = api.requests.filter((r) => r.verb !== 'health' && r.verb !== 'discovery');
  const denied = calls.filter((r) => !permissions.some((p) => allows(p, r)));
  assert.deepEqual(denied.map((r) => `${r.verb} ${r.group || 'core'}/${r.subresource ? `${r.resource}/${r.subresource}` : r.resource} ns=${r.namespace ?? '*'} name=${r.name ?? ''}`), [], 'calls RBAC would refuse');
  const unused = permissions.filter((p) => !calls.some((r) => allows(p, r)));
  assert.deepEqual(unused.map(permissionKey), [], 'permissions never used');
  assert.deepEqual(api.requests.filter((r) => r.verb === 'discovery').map((r) => r.path), [], 'no discovery calls (they would need no RBAC, but none are expected)');
});
