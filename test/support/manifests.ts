// Builders for the Kubernetes objects tests feed the gateway, as YAML text (the files source reads YAML).
import { stringify } from 'yaml';

export interface ServiceBackend {
  namespace?: string;
  name: string;
  port?: number;
  portName?: string;
  appProtocol?: string;
  /** Endpoints as [address, port]; ready unless listed in notReady. */
  endpoints: [string, number][];
  notReady?: [string, number][];
}

export function ingressClassYaml(name = 'tideway', isDefault = true): string {
  return stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, annotations: isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {} },
    spec: { controller: 'tideway.dev/ingress-controller' },
  });
}

/** A Service plus one EndpointSlice for it. Endpoint ports may differ per endpoint (one slice per port). */
export function serviceYaml(svc: ServiceBackend): string {
  const namespace = svc.namespace ?? 'default';
  const port = svc.port ?? 80;
  const portName = svc.portName ?? 'http';
  const docs: object[] = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: svc.name, namespace },
      spec: { ports: [{ name: portName, port, ...(svc.appProtocol ? { appProtocol: svc.appProtocol } : {}) }] },
    },
  ];
  const byPort = new Map<number, { addresses: string[]; ready: boolean }[]>();
  for (const [address, p] of svc.endpoints) (byPort.get(p) ?? byPort.set(p, []).get(p)!).push({ addresses: [address], ready: true });
  for (const [address, p] of svc.notReady ?? []) (byPort.get(p) ?? byPort.set(p, []).get(p)!).push({ addresses: [address], ready: false });
  let i = 0;
  for (const [p, endpoints] of byPort) {
    docs.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${svc.name}-${i++}`, namespace, labels: { 'kubernetes.io/service-name': svc.name } },
      addressType: 'IPv4',
      ports: [{ name: portName, port: p, ...(svc.appProtocol ? { appProtocol: svc.appProtocol } : {}) }],
      endpoints: endpoints.map((e) => ({ addresses: e.addresses, conditions: { ready: e.ready } })),
    });
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

export interface IngressPath { path: string; pathType?: string; service: string; port?: number }

export function ingressYaml(opts: { name: string; namespace?: string; host?: string; paths: IngressPath[]; annotations?: Record<string, string>; className?: string; tls?: { hosts: string[]; secretName: string }[] }): string {
  return stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: opts.name, namespace: opts.namespace ?? 'default', annotations: opts.annotations ?? {} },
    spec: {
      ...(opts.className ? { ingressClassName: opts.className } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
      rules: [
        {
          ...(opts.host ? { host: opts.host } : {}),
          http: {
            paths: opts.paths.map((p) => ({
              path: p.path,
              pathType: p.pathType ?? 'Prefix',
              backend: { service: { name: p.service, port: { number: p.port ?? 80 } } },
            })),
          },
        },
      ],
    },
  });
}

/** The files of the plainest gateway: the default class, Service `web` with one endpoint on 127.0.0.1:`port`, and an Ingress sending every path to it. */
export function webBackendFiles(port: number): Record<string, string> {
  return {
    'class.yaml': ingressClassYaml(),
    'svc.yaml': serviceYaml({ name: 'web', endpoints: [['127.0.0.1', port]] }),
    'ing.yaml': ingressYaml({ name: 'web', paths: [{ path: '/', service: 'web' }] }),
  };
}
