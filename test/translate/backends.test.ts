import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyKubeObject, EndpointSlice, HTTPIngressPath, ServicePort } from '../../src/kube/types.ts';
import { compileRouteTable } from '../../src/routing/index.ts';
import type { EndpointSpec } from '../../src/routing/spec.ts';
import { translate } from '../../src/translate/index.ts';
import { backend, clusterState, endpoint, findDiagnostic, ingress, path, rule, service, slice } from './builders.ts';

const HOST = 'app.example.com';

function translateWith(paths: HTTPIngressPath[], objects: AnyKubeObject[], annotations: Record<string, string> = {}) {
  return translate(clusterState([ingress('web', { rules: [rule(HOST, ...paths)] }, { annotations }), ...objects]));
}

/** Endpoints of the backend of the first path. */
function endpointsOf(ports: ServicePort[], slices: EndpointSlice[], port: number | string = 80): EndpointSpec[] | undefined {
  const { table } = translateWith([path('/', 'Prefix', 'web', port)], [service('web', ports), ...slices]);
  const key = table.hosts[0]?.routes[0]?.backend;
  return key ? table.backends[key]?.endpoints : undefined;
}

const ep = (address: string, port = 8080, ready = true): EndpointSpec => ({ address, port, ready });

describe('endpoint selection', () => {
  const cases: { name: string; slices: EndpointSlice[]; expect: EndpointSpec[] }[] = [
    {
      name: 'ready, and unset conditions, count as ready',
      slices: [slice('s1', 'web', [{ port: 8080 }], [endpoint('10.0.0.2', { ready: true }), endpoint('10.0.0.1')])],
      expect: [ep('10.0.0.1'), ep('10.0.0.2')],
    },
    {
      name: 'not ready and not terminating: left out',
      slices: [slice('s1', 'web', [{ port: 8080 }], [endpoint('10.0.0.1'), endpoint('10.0.0.2', { ready: false, serving: false })])],
      expect: [ep('10.0.0.1')],
    },
    {
      name: 'none ready: serving-terminating ones, marked not ready',
      slices: [slice('s1', 'web', [{ port: 8080 }], [endpoint('10.0.0.1', { ready: false, serving: true, terminating: true }), endpoint('10.0.0.2', { ready: false, serving: false, terminating: true }), endpoint('10.0.0.3', { ready: false, terminating: true })])],
      expect: [ep('10.0.0.1', 8080, false), ep('10.0.0.3', 8080, false)],
    },
    {
      name: 'some ready: terminating ones are not used',
      slices: [slice('s1', 'web', [{ port: 8080 }], [endpoint('10.0.0.1', { ready: false, serving: true, terminating: true }), endpoint('10.0.0.2', { ready: true })])],
      expect: [ep('10.0.0.2')],
    },
    {
      name: 'not ready, not terminating (starting up): no fallback',
      slices: [slice('s1', 'web', [{ port: 8080 }], [endpoint('10.0.0.1', { ready: false, serving: false, terminating: false })])],
      expect: [],
    },
    {
      name: 'several slices, duplicates removed, sorted',
      slices: [
        slice('s2', 'web', [{ port: 8080 }], [endpoint('10.0.0.3'), endpoint('10.0.0.1')]),
        slice('s1', 'web', [{ port: 8080 }], [endpoint('10.0.0.2'), endpoint('10.0.0.1')]),
      ],
      expect: [ep('10.0.0.1'), ep('10.0.0.2'), ep('10.0.0.3')],
    },
    {
      name: 'an endpoint ready in one slice and terminating in another is ready',
      slices: [slice('s1', 'web', [{ port: 8080 }], [endpoint('10.0.0.1', { ready: false, serving: true, terminating: true })]), slice('s2', 'web', [{ port: 8080 }], [endpoint('10.0.0.1')])],
      expect: [ep('10.0.0.1')],
    },
    {
      name: 'every address of an endpoint is used',
      slices: [slice('s1', 'web', [{ port: 8080 }], [endpoint(['10.0.0.1', '10.0.0.2'])])],
      expect: [ep('10.0.0.1'), ep('10.0.0.2')],
    },
    {
      name: 'loopback addresses are accepted (manifest files run locally)',
      slices: [slice('s1', 'web', [{ port: 8080 }], [endpoint('127.0.0.1')])],
      expect: [ep('127.0.0.1')],
    },
    {
      name: 'IPv6 slices',
      slices: [slice('s1', 'web', [{ port: 8080 }], [endpoint('fd00::2'), endpoint('::1')], { addressType: 'IPv6' })],
      expect: [ep('::1'), ep('fd00::2')],
    },
    {
      name: 'slices of another Service, another namespace, or without the label are not used',
      slices: [
        slice('s1', 'web', [{ port: 8080 }], [endpoint('10.0.0.1')]),
        slice('s2', 'api', [{ port: 8080 }], [endpoint('10.0.0.2')]),
        slice('s3', 'web', [{ port: 8080 }], [endpoint('10.0.0.3')], { namespace: 'other' }),
        { ...slice('s4', 'web', [{ port: 8080 }], [endpoint('10.0.0.4')]), metadata: { name: 's4', namespace: 'default' } },
      ],
      expect: [ep('10.0.0.1')],
    },
    {
      name: 'a slice without the unnamed port is not used',
      slices: [slice('s1', 'web', [{ name: 'metrics', port: 9100 }], [endpoint('10.0.0.1')]), slice('s2', 'web', [{ name: '', port: 8080 }], [endpoint('10.0.0.2')])],
      expect: [ep('10.0.0.2')],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(endpointsOf([{ port: 80 }], c.slices), c.expect));
  }

  it('maps named Service ports to the slice port of the same name', () => {
    const ports: ServicePort[] = [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'metrics', port: 9090 }];
    const slices = [slice('s1', 'web', [{ name: 'metrics', port: 9100 }, { name: 'http', port: 8080 }], [endpoint('10.0.0.1')])];
    assert.deepEqual(endpointsOf(ports, slices, 'metrics'), [ep('10.0.0.1', 9100)]);
    assert.deepEqual(endpointsOf(ports, slices, 80), [ep('10.0.0.1', 8080)]);
    assert.deepEqual(endpointsOf(ports, slices, 'http'), [ep('10.0.0.1', 8080)]);
  });

  it('records the Pod behind an endpoint', () => {
    const slices = [slice('s1', 'web', [{ port: 8080 }], [endpoint('10.0.0.1', undefined, 'web-abc')])];
    assert.deepEqual(endpointsOf([{ port: 80 }], slices), [{ address: '10.0.0.1', port: 8080, ready: true, target: 'default/web-abc' }]);
  });

  it('reports invalid addresses and ports on the EndpointSlice and uses the rest', () => {
    const bad = slice('s1', 'web', [{ port: 8080 }, { name: 'x', port: 70000 }], [endpoint(['10.0.0.1', '10.0.0.300', 'fd00::1']), endpoint('not-an-ip')]);
    const { table, diagnostics } = translateWith([path('/', 'Prefix')], [service('web'), bad]);
    assert.deepEqual(table.backends['default/web:80']!.endpoints, [ep('10.0.0.1')]);
    assert.deepEqual(
      diagnostics.map((d) => [d.kind, d.object, d.field, d.reason]),
      [
        ['EndpointSlice', 'default/s1', 'ports[1].port', 'InvalidEndpoint'],
        ['EndpointSlice', 'default/s1', 'endpoints[0].addresses[1]', 'InvalidEndpoint'],
        ['EndpointSlice', 'default/s1', 'endpoints[0].addresses[2]', 'InvalidEndpoint'],
        ['EndpointSlice', 'default/s1', 'endpoints[1].addresses[0]', 'InvalidEndpoint'],
      ],
    );
  });

  it('does not use FQDN slices, and says so', () => {
    const fqdn = slice('s1', 'web', [{ port: 8080 }], [endpoint('web.example.com')], { addressType: 'FQDN' });
    const { table, diagnostics } = translateWith([path('/', 'Prefix')], [service('web'), fqdn]);
    assert.deepEqual(table.backends['default/web:80']!.endpoints, []);
    assert.equal(findDiagnostic(diagnostics, 'UnsupportedEndpoints').object, 'default/s1');
  });

  it('reports a slice problem once even when two backends read the slice', () => {
    const bad = slice('s1', 'web', [{ port: 8080 }], [endpoint('bogus'), endpoint('10.0.0.1')]);
    const { diagnostics } = translateWith([path('/', 'Prefix'), path('/h2', 'Prefix')], [service('web'), bad], {});
    assert.equal(diagnostics.filter((d) => d.reason === 'InvalidEndpoint').length, 1);
  });
});

describe('Service and port resolution', () => {
  const ports: ServicePort[] = [{ name: 'http', port: 80 }, { name: 'admin', port: 8081 }];

  it('resolves a port by number and by name to the Service port', () => {
    const { table, diagnostics } = translateWith([path('/a', 'Prefix', 'web', 8081), path('/b', 'Prefix', 'web', 'http')], [service('web', ports)]);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(Object.keys(table.backends), ['default/web:8081', 'default/web:http']);
    assert.equal(table.backends['default/web:http']!.servicePort, 80);
    assert.equal(table.backends['default/web:8081']!.servicePort, 8081);
    assert.deepEqual(
      { ...table.backends['default/web:http']!, endpoints: [] },
      { key: 'default/web:http', namespace: 'default', service: 'web', servicePort: 80, protocol: 'http', endpoints: [] },
    );
  });

  const unresolved: { name: string; path: HTTPIngressPath; objects: AnyKubeObject[]; reason: string; field: string; message: RegExp }[] = [
    { name: 'missing Service', path: path('/', 'Prefix', 'nope', 80), objects: [], reason: 'ServiceNotFound', field: 'backend.service.name', message: /^Service default\/nope not found$/ },
    { name: 'no such port number', path: path('/', 'Prefix', 'web', 8080), objects: [service('web', ports)], reason: 'PortNotFound', field: 'backend.service.port.number', message: /Service default\/web has no port 8080 \(it has 80 \(http\), 8081 \(admin\)\)/ },
    { name: 'no such port name', path: path('/', 'Prefix', 'web', 'grpc'), objects: [service('web', ports)], reason: 'PortNotFound', field: 'backend.service.port.name', message: /no port named "grpc"/ },
    { name: 'Service without ports', path: path('/', 'Prefix', 'web', 80), objects: [service('web', [])], reason: 'PortNotFound', field: 'backend.service.port.number', message: /it has no ports/ },
    { name: 'ExternalName Service', path: path('/', 'Prefix', 'ext', 80), objects: [service('ext', [{ port: 80 }], { type: 'ExternalName' })], reason: 'UnsupportedBackend', field: 'backend.service.name', message: /type ExternalName, which is not supported/ },
  ];
  for (const c of unresolved) {
    it(`${c.name}: error, and the path answers 503 instead of falling through`, () => {
      const { table, diagnostics } = translateWith([path('/', 'Prefix', 'base', 80), { ...c.path, path: '/x' }], [service('base'), ...c.objects]);
      const d = findDiagnostic(diagnostics, c.reason);
      assert.equal(d.severity, 'error');
      assert.equal(d.field, `spec.rules[0].http.paths[1].${c.field}`);
      assert.match(d.message, c.message);
      const route = compileRouteTable(table).match(HOST, '/x/y');
      assert.equal(route?.spec.path, '/x');
      assert.equal(route?.spec.backend, null);
    });
  }

  const malformed: { name: string; backend: unknown; field: string; reason: string; message: RegExp }[] = [
    { name: 'no backend', backend: undefined, field: 'backend', reason: 'InvalidBackend', message: /a backend is required/ },
    { name: 'empty backend', backend: {}, field: 'backend.service.name', reason: 'InvalidBackend', message: /a Service name is required/ },
    { name: 'service and resource', backend: { service: { name: 'web', port: { number: 80 } }, resource: { kind: 'Bucket', name: 'b' } }, field: 'backend', reason: 'InvalidBackend', message: /cannot set both resource and service/ },
    { name: 'resource backend', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } }, field: 'backend.resource', reason: 'UnsupportedBackend', message: /resource backends \(StorageBucket\) are not supported/ },
    { name: 'port number and name', backend: { service: { name: 'web', port: { number: 80, name: 'http' } } }, field: 'backend.service.port', reason: 'InvalidBackend', message: /cannot set both port name and port number/ },
    { name: 'no port', backend: { service: { name: 'web' } }, field: 'backend.service.port', reason: 'InvalidBackend', message: /a port name or number is required/ },
    { name: 'port number 0 and no name', backend: { service: { name: 'web', port: { number: 0 } } }, field: 'backend.service.port', reason: 'InvalidBackend', message: /a port name or number is required/ },
    { name: 'port number out of range', backend: { service: { name: 'web', port: { number: 70000 } } }, field: 'backend.service.port.number', reason: 'InvalidBackend', message: /from 1 to 65535/ },
    { name: 'port number not a number', backend: { service: { name: 'web', port: { number: '80' } } }, field: 'backend.service.port.number', reason: 'InvalidBackend', message: /invalid port number "80"/ },
    { name: 'port name not a string', backend: { service: { name: 'web', port: { name: 7 } } }, field: 'backend.service.port.name', reason: 'InvalidBackend', message: /must be a string/ },
    { name: 'service not an object', backend: { service: 'web' }, field: 'backend.service.name', reason: 'InvalidBackend', message: /a Service name is required/ },
  ];
  for (const c of malformed) {
    it(`${c.name}: the path is not served`, () => {
      const bad = { path: '/x', pathType: 'Prefix', backend: c.backend } as HTTPIngressPath;
      const { table, diagnostics } = translateWith([path('/', 'Prefix', 'web', 80), bad], [service('web', [{ port: 80 }])]);
      assert.deepEqual(table.hosts[0]!.routes.map((r) => r.path), ['/']);
      assert.equal(diagnostics.length, 1);
      assert.deepEqual([diagnostics[0]!.reason, diagnostics[0]!.field], [c.reason, `spec.rules[0].http.paths[1].${c.field}`]);
      assert.match(diagnostics[0]!.message, c.message);
    });
  }

  it('looks the Service up in the namespace of the Ingress only', () => {
    const { diagnostics } = translate(clusterState([ingress('web', { rules: [rule(HOST, path('/', 'Prefix'))] }, { namespace: 'shop' }), service('web')]));
    assert.match(findDiagnostic(diagnostics, 'ServiceNotFound').message, /Service shop\/web not found/);
  });
});

describe('backend protocol', () => {
  const appProtocols: [appProtocol: string | undefined, protocol: string][] = [
    [undefined, 'http'],
    ['http', 'http'],
    ['kubernetes.io/h2c', 'h2c'],
    ['grpc', 'grpc'],
    ['https', 'https'],
    ['HTTPS', 'https'],
    ['kubernetes.io/ws', 'http'],
    ['kubernetes.io/wss', 'https'],
    ['example.com/custom', 'http'],
  ];
  for (const [appProtocol, protocol] of appProtocols) {
    it(`appProtocol ${String(appProtocol)} -> ${protocol}`, () => {
      const port: ServicePort = appProtocol ? { port: 80, appProtocol } : { port: 80 };
      const { table } = translateWith([path('/', 'Prefix')], [service('web', [port])]);
      assert.equal(table.backends['default/web:80']!.protocol, protocol);
    });
  }

  const annotations: [value: string, protocol: string][] = [
    ['HTTP', 'http'],
    ['HTTPS', 'https'],
    ['h2c', 'h2c'],
    ['GRPC', 'grpc'],
    ['grpcs', 'grpcs'],
  ];
  for (const [value, protocol] of annotations) {
    it(`annotation backend-protocol ${value} overrides appProtocol, and keys the backend by protocol`, () => {
      const { table, diagnostics } = translateWith([path('/', 'Prefix')], [service('web', [{ port: 80, appProtocol: 'kubernetes.io/h2c' }])], { 'tideway.dev/backend-protocol': value });
      assert.deepEqual(diagnostics, []);
      const key = `default/web:80/${protocol}`;
      assert.equal(table.hosts[0]!.routes[0]!.backend, key);
      assert.equal(table.backends[key]!.protocol, protocol);
      assert.equal(table.backends[key]!.key, key);
    });
  }

  it('two Ingresses reaching one Service port with different protocols get two backends', () => {
    const plain = ingress('plain', { rules: [rule('a.test', path('/', 'Prefix'))] });
    const grpc = ingress('grpc', { rules: [rule('b.test', path('/', 'Prefix'))] }, { annotations: { 'tideway.dev/backend-protocol': 'GRPC' } });
    const { table } = translate(clusterState([plain, grpc, service('web'), slice('s', 'web', [{ port: 8080 }], [endpoint('10.0.0.1')])]));
    assert.deepEqual(Object.keys(table.backends), ['default/web:80', 'default/web:80/grpc']);
    assert.deepEqual(table.backends['default/web:80']!.endpoints, table.backends['default/web:80/grpc']!.endpoints);
  });

  it('an invalid annotation value is an error and appProtocol applies', () => {
    const { table, diagnostics } = translateWith([path('/', 'Prefix')], [service('web', [{ port: 80, appProtocol: 'grpc' }])], { 'tideway.dev/backend-protocol': 'HTTP3' });
    assert.equal(table.backends['default/web:80']!.protocol, 'grpc');
    const d = findDiagnostic(diagnostics, 'InvalidAnnotation');
    assert.equal(d.field, 'metadata.annotations["tideway.dev/backend-protocol"]');
    assert.match(d.message, /expected one of HTTP, HTTPS, H2C, GRPC, GRPCS, got "HTTP3"/);
  });

  it('the default backend uses the protocol annotation of its Ingress', () => {
    const { table } = translate(clusterState([ingress('web', { defaultBackend: backend('web', 80) }, { annotations: { 'tideway.dev/backend-protocol': 'h2c' } }), service('web')]));
    assert.equal(table.defaultRoute?.backend, 'default/web:80/h2c');
  });
});
