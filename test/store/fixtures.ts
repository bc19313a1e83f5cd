// Small object builders for the store tests: each returns a fresh, already normalized object.
import type { Ingress, Service } from '../../src/kube/types.ts';

export function service(namespace: string, name: string, port = 80): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec: { ports: [{ name: 'http', port }] } };
}

export function ingress(namespace: string, name: string, host = 'example.test'): Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace, name },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  };
}
