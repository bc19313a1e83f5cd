export { KubeApiServer, TEST_USER } from './server.ts';
export type { KubeApiServerOptions, ObjectRef, RequestFilter, RequestRecord, Verb } from './server.ts';
export type { JsonObject } from './resources.ts';
