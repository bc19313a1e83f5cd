// The Kubernetes API test server. Typical use:
//   const api = new KubeApiServer({ bookmarkIntervalMs: 100 });   // { tls: true } for HTTPS
//   await api.start();
//   const kc = new k8s.KubeConfig(); kc.loadFromString(api.kubeconfig());
//   api.create({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace }, spec });
//   api.cutWatches({ midLine: true }); api.compact(); await api.stop(); await api.start();
//   api.failNext(2, 500, { verb: 'list', resource: 'ingresses' }); api.garbageNext(1);
//   api.count({ verb: 'update', resource: 'ingresses', subresource: 'status' });
//   await api.close();
export { KubeApiServer, TEST_USER } from './server.ts';
export type { KubeApiServerOptions, ObjectRef, RequestFilter, RequestRecord, Verb } from './server.ts';
export type { JsonObject } from './resources.ts';
